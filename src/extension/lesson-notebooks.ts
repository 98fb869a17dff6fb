// The lesson notebooks (examples/notebooks/*.ipynb) as the walkthrough offers them: which lessons there are, each
// one's title, and where a lesson is opened from. Pure Node (walkthrough.ts holds the VS Code side), so that the
// unit tests run it. A lesson is opened from the user's folder: a copy there is opened as it is (the user's edits
// kept); otherwise the shipped notebook is copied there first, with the data it reads (`../data/` from the
// notebook). The extension's own folder is never written to.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseNotebook } from "../runs/ipynb";

/** The lesson the walkthrough's step opens. */
export const FIRST_LESSON = "01_rnncell_by_hand.ipynb";
/** Where the lesson notebooks sit under a lessons folder (examples/ when shipped), and where copies go in the user's. */
const NOTEBOOKS = "notebooks";
/** A lesson is kilobytes: a larger file is listed by its name, unread. */
const MAX_LESSON_BYTES = 4 * 1024 * 1024;

export interface LessonNotebook {
  /** The file name in examples/notebooks/. */
  file: string;
  /** The lesson's heading, in the user's language when it has one. */
  title: string;
}

/** The shipped lesson notebooks (`<examples>/notebooks/*.ipynb`), in file order (01 first), with their titles. */
export function lessonNotebooks(examples: string, chinese: boolean): LessonNotebook[] {
  const folder = path.join(examples, NOTEBOOKS);
  let files: string[];
  try {
    files = fs.readdirSync(folder).filter((f) => f.endsWith(".ipynb"));
  } catch {
    return []; // no notebooks shipped
  }
  return files.sort().map((file) => ({ file, title: lessonTitle(readLesson(path.join(folder, file)), chinese) ?? file }));
}

/**
 * A lesson's title: the first markdown cell's first heading, `# 第 1 课：… · Lesson 1: …`, the Chinese half or the
 * English one (the whole heading when it has no ` · `). Undefined for what is not a notebook with such a heading.
 */
export function lessonTitle(text: string, chinese: boolean): string | undefined {
  const notebook = parseNotebook(text);
  if ("error" in notebook) return undefined;
  const source = notebook.cells.find((c) => c.type === "markdown")?.source ?? "";
  const heading = /^#+[ \t]+(.+)$/m.exec(source)?.[1].trim();
  if (!heading) return undefined;
  const halves = heading.split(" · ");
  return halves.length === 2 ? halves[chinese ? 0 : 1].trim() : heading;
}

function readLesson(file: string): string {
  try {
    return fs.statSync(file).size <= MAX_LESSON_BYTES ? fs.readFileSync(file, "utf8") : "";
  } catch {
    return "";
  }
}

/**
 * The lesson notebook `file` to open in `root` (the workspace folder, or the extension's storage when there is none):
 * a copy already in `root/examples/notebooks/` or `root/notebooks/`, else the shipped one copied to `root/notebooks/`,
 * and the shipped data files `root/data/` lacks copied beside it (none of the user's files is replaced).
 */
export async function lessonNotebookIn(root: string, file: string, examples: string): Promise<string> {
  if (path.basename(file) !== file || !file.endsWith(".ipynb")) throw new Error(`not a lesson notebook's name: ${file}`);
  const found = [path.join(root, "examples", NOTEBOOKS, file), path.join(root, NOTEBOOKS, file)].find((f) => fs.existsSync(f));
  if (found) return found;
  const shipped = path.join(examples, NOTEBOOKS, file);
  if (!fs.existsSync(shipped)) throw new Error(`no lesson notebook named ${file}`);
  const target = path.join(root, NOTEBOOKS, file);
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  await fs.promises.copyFile(shipped, target, fs.constants.COPYFILE_EXCL);
  const data = path.join(examples, "data");
  if (fs.existsSync(data)) await fs.promises.cp(data, path.join(root, "data"), { recursive: true, force: false });
  return target;
}
