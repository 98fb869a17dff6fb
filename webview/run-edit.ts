// The buttons that rename, tag or annotate a run, in the Runs view's rows and the Runs table's: each asks the host,
// which asks for the text (a quick input) and writes it to the run's meta.json.
import type { RunMetaField } from "../src/common/protocol";
import { h, icon } from "./common";
import { t } from "./l10n";

type EditRun = (message: { type: "editRun"; dir: string; field: RunMetaField }) => void;

/** Rename, Tags and Note buttons for the run in folder `dir`, called `label` in their accessible names. */
export function editButtons(dir: string, label: string, post: EditRun): HTMLElement[] {
  const button = (field: RunMetaField, codicon: string, title: string, name: string) => {
    const el = h("button", { class: "icon-button", title, "aria-label": name }, icon(codicon));
    el.addEventListener("click", (e) => {
      e.stopPropagation(); // not the row's click, which opens the run
      post({ type: "editRun", dir, field });
    });
    return el;
  };
  return [
    button("label", "edit", t("Rename"), t("Rename {0}", label)),
    button("tags", "tag", t("Tags"), t("Tags of {0}", label)),
    button("note", "note", t("Note"), t("Note on {0}", label)),
  ];
}
