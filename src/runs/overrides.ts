// A run's hyperparameter overrides (`--set name=value`, "Train with…", each point of a sweep) checked against the
// experiment's declared hparams: the training process, the CLI's sweep and the extension host share this one check.
import { ownValue, setOwn, type Hyperparameters } from "../common/protocol";
import { editDistance } from "../common/edit-distance";
import { t } from "./l10n";

type Value = number | string | boolean;

/** The declared name nearest `name` (case aside first), when near enough to be a slip: at most a third of it wrong. */
export function nearestName(name: string, declared: readonly string[]): string | undefined {
  const scored = declared.map((d) => ({ d, n: d.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name, d) }));
  scored.sort((a, b) => a.n - b.n);
  const best = scored[0];
  return best && best.n <= Math.max(1, Math.floor(Math.max(name.length, best.d.length) / 3)) ? best.d : undefined;
}

/** `text` as a value of the declared value's type: a number (a whole one when the declared one is whole), a boolean
 *  (true or false), a string (any text); throws saying what the name takes. */
function parseOverride(name: string, text: string, declared: Value): Value {
  if (typeof declared === "string") return text;
  if (typeof declared === "boolean") {
    if (text === "true" || text === "false") return text === "true";
    throw new Error(t("hyperparameter '{0}' is true or false, got '{1}'", name, text));
  }
  const n = text.trim() === "" ? NaN : Number(text);
  if (Number.isInteger(declared) && !Number.isInteger(n))
    throw new Error(t("hyperparameter '{0}' is a whole number (declared {1}), got '{2}'", name, declared, text));
  if (!Number.isFinite(n)) throw new Error(t("hyperparameter '{0}' is a number (declared {1}), got '{2}'", name, declared, text));
  return n;
}

/** The experiment's hyperparameters with `overrides` (`--set name=value`, texts) applied, each checked against the
 *  declared names and types; throws an Error whose message says what is wrong (an unknown name gets the nearest). */
export function applyOverrides(declared: Readonly<Hyperparameters>, overrides: Readonly<Record<string, string>>): Hyperparameters {
  const out = { ...declared };
  const names = Object.keys(declared);
  for (const [name, text] of Object.entries(overrides)) {
    const was = ownValue(declared, name); // not Object.prototype's, for a name like `toString`
    if (was === undefined) {
      if (!names.length) throw new Error(t("unknown hyperparameter '{0}': the experiment declares no hparams", name));
      const near = nearestName(name, names);
      throw new Error(
        near
          ? t("unknown hyperparameter '{0}'; did you mean '{1}'?", name, near)
          : t("unknown hyperparameter '{0}'; the experiment declares {1}", name, names.join(", ")),
      );
    }
    setOwn(out, name, parseOverride(name, text, was)); // `__proto__` too
  }
  return out;
}
