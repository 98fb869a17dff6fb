// The lesson notebooks as the walkthrough offers them (src/extension/lesson-notebooks.ts): the list and its titles
// in English and Chinese, and which file a lesson opens from: a copy in the user's folder as it is, else the shipped
// notebook copied there with its data; never a write to the shipped folder. Folders named with spaces and Chinese.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FIRST_LESSON, lessonNotebookIn, lessonNotebooks, lessonTitle } from "../../src/extension/lesson-notebooks";

const EXAMPLES = path.join(__dirname, "../../../examples");
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-lessons-"));
after(() => fs.rmSync(ROOT, { recursive: true, force: true }));

/** A shipped extension folder: examples/notebooks/ (two lessons, one named with spaces and Chinese) and examples/data/. */
function shippedExamples(): string {
  const examples = path.join(fs.mkdtempSync(path.join(ROOT, "扩展 ext ")), "examples");
  fs.mkdirSync(path.join(examples, "notebooks"), { recursive: true });
  fs.mkdirSync(path.join(examples, "data"));
  fs.copyFileSync(path.join(EXAMPLES, "notebooks", FIRST_LESSON), path.join(examples, "notebooks", FIRST_LESSON));
  fs.copyFileSync(path.join(EXAMPLES, "notebooks", "06_names_classifier.ipynb"), path.join(examples, "notebooks", "循环 网络(1) 🧪.ipynb"));
  fs.writeFileSync(path.join(examples, "data", "names.csv"), "name,label\n");
  fs.writeFileSync(path.join(examples, "data", "other.csv"), "shipped\n");
  return examples;
}

/** Every file under `dir` with its bytes, to show a folder unchanged. */
const contents = (dir: string): Record<string, string> =>
  Object.fromEntries(
    (fs.readdirSync(dir, { recursive: true }) as string[]).sort().map((f) => {
      const file = path.join(dir, f);
      return [f, fs.statSync(file).isDirectory() ? "/" : fs.readFileSync(file, "utf8")];
    }),
  );

describe("the list of lesson notebooks", () => {
  test("every shipped notebook, 01 first, titled from its heading in English or in Chinese", () => {
    const english = lessonNotebooks(EXAMPLES, false);
    const shipped = fs.readdirSync(path.join(EXAMPLES, "notebooks")).filter((f) => f.endsWith(".ipynb"));
    assert.deepEqual(english.map((l) => l.file).sort(), shipped.sort());
    assert.equal(english[0].file, FIRST_LESSON);
    assert.equal(english[0].title, "Lesson 1: an RNNCell stepped by hand");
    assert.equal(lessonNotebooks(EXAMPLES, true)[0].title, "第 1 课：手动逐步运行 RNNCell");
    for (const { file, title } of english) assert.match(title, /^Lesson \d+[abc]?: \S/, file); // each lesson has its heading
  });

  test("a notebook without a heading, or not a notebook, is listed by its file name", () => {
    const examples = shippedExamples();
    fs.writeFileSync(path.join(examples, "notebooks", "broken 坏.ipynb"), '{"nbformat": 4, "cells": [{"cell_type": 7}]}');
    fs.writeFileSync(
      path.join(examples, "notebooks", "plain.ipynb"),
      JSON.stringify({ nbformat: 4, cells: [{ cell_type: "markdown", source: ["no heading"] }] }),
    );
    fs.writeFileSync(path.join(examples, "notebooks", "not a notebook.txt"), "x");
    const titles = Object.fromEntries(lessonNotebooks(examples, false).map((l) => [l.file, l.title]));
    assert.deepEqual(Object.keys(titles), [FIRST_LESSON, "broken 坏.ipynb", "plain.ipynb", "循环 网络(1) 🧪.ipynb"]);
    assert.equal(titles["broken 坏.ipynb"], "broken 坏.ipynb");
    assert.equal(titles["plain.ipynb"], "plain.ipynb");
    assert.equal(titles["循环 网络(1) 🧪.ipynb"], "Lesson 6: which nationality is a surname?");
    assert.deepEqual(lessonNotebooks(path.join(ROOT, "nowhere"), false), []);
  });

  test("a heading without both languages is the title as it is; bytes that are not JSON have none", () => {
    assert.equal(lessonTitle(JSON.stringify({ nbformat: 4, cells: [{ cell_type: "markdown", source: "intro\n## Only English" }] }), true), "Only English");
    assert.equal(lessonTitle("\u0000\uFFFF{", false), undefined);
  });
});

describe("opening a lesson notebook", () => {
  test("absent from the folder: copied to notebooks/ with the data beside it, the shipped folder untouched", async () => {
    const examples = shippedExamples();
    const before = contents(examples);
    const folder = fs.mkdtempSync(path.join(ROOT, "循环 网络(1) 🧪 "));
    const opened = await lessonNotebookIn(folder, "循环 网络(1) 🧪.ipynb", examples);
    assert.equal(opened, path.join(folder, "notebooks", "循环 网络(1) 🧪.ipynb"));
    assert.equal(fs.readFileSync(opened, "utf8"), fs.readFileSync(path.join(examples, "notebooks", "循环 网络(1) 🧪.ipynb"), "utf8"));
    assert.equal(fs.readFileSync(path.join(folder, "data", "names.csv"), "utf8"), "name,label\n"); // ../data from the notebook
    assert.deepEqual(contents(examples), before);
  });

  test("a copy already there is opened as the user left it; the user's data files are kept, the missing ones added", async () => {
    const examples = shippedExamples();
    const folder = fs.mkdtempSync(path.join(ROOT, "my work "));
    const first = await lessonNotebookIn(folder, FIRST_LESSON, examples);
    fs.writeFileSync(first, "edited by the user");
    fs.writeFileSync(path.join(folder, "data", "other.csv"), "the user's");
    fs.rmSync(path.join(folder, "data", "names.csv"));
    assert.equal(await lessonNotebookIn(folder, FIRST_LESSON, examples), first);
    assert.equal(fs.readFileSync(first, "utf8"), "edited by the user");
    const again = await lessonNotebookIn(folder, "循环 网络(1) 🧪.ipynb", examples);
    assert.equal(path.dirname(again), path.dirname(first));
    assert.equal(fs.readFileSync(path.join(folder, "data", "other.csv"), "utf8"), "the user's");
    assert.equal(fs.readFileSync(path.join(folder, "data", "names.csv"), "utf8"), "name,label\n");
  });

  test("a folder that holds the lessons (Unroll's own repository) opens its examples/notebooks/ copy, copying nothing", async () => {
    const examples = shippedExamples();
    const folder = path.dirname(examples); // the workspace is the extension's source, with examples/notebooks/
    const before = contents(folder);
    assert.equal(await lessonNotebookIn(folder, FIRST_LESSON, examples), path.join(examples, "notebooks", FIRST_LESSON));
    assert.deepEqual(contents(folder), before);
  });

  test("a name that is not a lesson notebook's is refused before any file is touched", async () => {
    const examples = shippedExamples();
    const folder = fs.mkdtempSync(path.join(ROOT, "w "));
    for (const name of ["../../escape.ipynb", "notebooks/01.ipynb", "01_rnncell_by_hand.ts", ""]) {
      await assert.rejects(lessonNotebookIn(folder, name, examples), /not a lesson notebook's name/, name);
    }
    await assert.rejects(lessonNotebookIn(folder, "absent.ipynb", examples), /no lesson notebook named absent\.ipynb/);
    assert.deepEqual(fs.readdirSync(folder), []);
  });
});
