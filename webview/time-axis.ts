// The Dynamics tab's time axis in the sample's own tokens: one label per time step shown (every `timeStride`-th when
// the snapshot was subsampled), padding marked. Pure logic, tested under Node.
import type { SampleTokens } from "../src/common/protocol";

export interface TimeLabel {
  /** The token at this step ("" past the tokens given). */
  text: string;
  /** True where the sample is padding (the experiment's null). */
  padding: boolean;
}

/**
 * The labels of `steps` time steps shown, the i-th being time step i·stride of the sample; null when there are no
 * tokens to show. Tokens beyond the steps are left out; steps beyond the tokens get "" (not padding).
 */
export function timeLabels(tokens: SampleTokens | undefined, steps: number, stride = 1): TimeLabel[] | null {
  if (!tokens?.length || !(steps > 0)) return null;
  const k = Number.isInteger(stride) && stride > 0 ? stride : 1;
  return Array.from({ length: steps }, (_, i) => {
    const token = i * k < tokens.length ? tokens[i * k] : "";
    return token === null ? { text: "", padding: true } : { text: token, padding: false };
  });
}
