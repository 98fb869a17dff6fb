// Builds examples/data/surnames.csv.gz (name,label) for examples/06_names_classifier.ts.
//
//   npm run data:surnames
//
// The surnames come from the per-locale name lists that @faker-js/faker ships (its `person.last_name`
// definitions; a devDependency, so nothing is downloaded at run time). Like the PyTorch name-classification
// tutorial's data, every name is written in plain ASCII letters: accents are removed (Dvořák → Dvorak) and
// Russian names are transliterated from Cyrillic. A name that ends up under two nationalities is dropped,
// since no model could tell which one is right.
import { allLocales } from "@faker-js/faker";
import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// label → faker locales whose last names it takes (all of each locale's lists: generic, female, male).
const CLASSES = {
  Czech: ["cs_CZ"],
  Dutch: ["nl"],
  English: ["en"],
  French: ["fr"],
  German: ["de"],
  Croatian: ["hr"],
  Hungarian: ["hu"],
  Italian: ["it"],
  Latvian: ["lv"],
  Polish: ["pl"],
  Portuguese: ["pt_PT"],
  Romanian: ["ro"],
  Russian: ["ru"],
  Spanish: ["es"],
  Swedish: ["sv"],
  Turkish: ["tr"],
};

const CYRILLIC = {
  а: "a", б: "b", в: "v", г: "g", д: "d", е: "e", ё: "e", ж: "zh", з: "z", и: "i", й: "y", к: "k", л: "l",
  м: "m", н: "n", о: "o", п: "p", р: "r", с: "s", т: "t", у: "u", ф: "f", х: "kh", ц: "ts", ч: "ch",
  ш: "sh", щ: "shch", ъ: "", ы: "y", ь: "", э: "e", ю: "yu", я: "ya",
};
// Letters that Unicode does not decompose into a base letter plus an accent.
const SPECIAL = { ł: "l", Ł: "L", ß: "ss", ø: "o", Ø: "O", æ: "ae", Æ: "Ae", œ: "oe", đ: "d", Đ: "D", ı: "i" };

function toAscii(name) {
  let out = "";
  for (const ch of name) {
    const lower = ch.toLowerCase();
    if (lower in CYRILLIC) {
      const latin = CYRILLIC[lower];
      out += ch === lower ? latin : latin.charAt(0).toUpperCase() + latin.slice(1);
    } else out += SPECIAL[ch] ?? ch;
  }
  out = out.normalize("NFD").replace(/\p{M}/gu, "").trim();
  return /^[A-Za-z][A-Za-z' -]*$/.test(out) ? out : null;
}

const labelsOf = new Map(); // ASCII name → Set of labels
const skipped = [];
for (const [label, locales] of Object.entries(CLASSES)) {
  for (const locale of locales) {
    const lists = allLocales[locale]?.person?.last_name;
    if (!lists) throw new Error(`@faker-js/faker has no person.last_name for locale ${locale}`);
    for (const raw of Object.values(lists).flat()) {
      const name = toAscii(raw);
      if (!name) {
        skipped.push(raw);
        continue;
      }
      if (!labelsOf.has(name)) labelsOf.set(name, new Set());
      labelsOf.get(name).add(label);
    }
  }
}

const rows = [];
let ambiguous = 0;
for (const [name, labels] of labelsOf) {
  if (labels.size > 1) ambiguous++;
  else rows.push([name, [...labels][0]]);
}
rows.sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]));

const csv = "name,label\n" + rows.map((r) => r.join(",")).join("\n") + "\n";
const file = join(dirname(fileURLToPath(import.meta.url)), "surnames.csv.gz");
writeFileSync(file, gzipSync(csv, { level: 9 }));

const counts = {};
for (const [, label] of rows) counts[label] = (counts[label] ?? 0) + 1;
console.log(`${rows.length} names, ${Object.keys(counts).length} classes → ${file}`);
console.log(`dropped: ${ambiguous} names under two or more nationalities, ${skipped.length} not writable in ASCII`);
for (const [label, n] of Object.entries(counts).sort((a, b) => b[1] - a[1])) console.log(`  ${label.padEnd(11)} ${n}`);
