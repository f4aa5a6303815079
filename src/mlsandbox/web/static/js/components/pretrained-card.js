// "Pretrained: where the weights come from": the pinned files a pretrained model was imported or converted
// from, how its ONNX file was checked against the original, and what it makes of the test photos.
import { count, h, percent } from "../dom.js";

const short = (sha256) => (sha256 ? h("code", { title: `sha256 ${sha256}` }, `sha256 ${sha256.slice(0, 12)}…`) : null);
const tiny = (x) => (Number.isFinite(x) ? x.toExponential(1) : null);
const joined = (...parts) => parts.filter(Boolean).join(" ");

// A pinned file: its package (with the version, when given apart) and the file inside it.
function pinned({ package: name, version, registry, member, sha256 }) {
  const spec = name && version && !name.includes(version) ? `${name}@${version}` : name;
  return h("li", {}, h("strong", {}, spec), registry && ` (${registry})`, h("br"),
    member && h("span", { class: "member" }, member), " ", short(sha256));
}

function imported(record) {
  if (!record) return null;
  const { seconds, machine = {}, finished } = record;
  const what = joined(Number.isFinite(seconds) && `${seconds} s`, machine.processor && `on ${machine.processor}`,
    Number.isFinite(machine.cpu_count) && `(${machine.cpu_count} CPUs)`);
  return [what, finished?.slice(0, 10)].filter(Boolean).join(", ") || null;
}

// The check of one conversion: the figure its tolerance bounds (relative above 1 where recorded so).
function parityLine(parity) {
  const relative = parity.max_difference_relative_above_1;
  const worst = Math.max(...Object.values(relative ?? parity.max_abs_difference ?? {}).flatMap(Object.values));
  return tiny(worst) && joined(`ONNX Runtime's outputs are within ${tiny(worst)}${relative ? " (relative above 1)" : ""} of`,
    parity.reference ?? "the original's", tiny(parity.tolerance) && `(allowed: ${tiny(parity.tolerance)})`);
}

function checked(card, conversions) {
  const lines = conversions.filter(([, c]) => c.parity).map(([name, c]) => joined(name && `${name}:`, parityLine(c.parity)));
  if (lines.length) return lines.length === 1 ? lines[0] : h("ul", { class: "pinned" }, lines.map((line) => h("li", {}, line)));
  const difference = tiny(card.model?.onnx_vs_torch_max_difference);
  return difference && `ONNX Runtime's outputs are within ${difference} of PyTorch's`;
}

function converted(conversion) {
  const tools = conversion?.tools;
  if (!tools) return null;
  return joined(tools.tf2onnx && `tf2onnx ${tools.tf2onnx}`, tools.onnx_opset && `(opset ${tools.onnx_opset})`,
    tools["tensorflow-cpu"] && `with TensorFlow ${tools["tensorflow-cpu"]}`) || null;
}

// One line per test photo: the top labels of a classifier, the objects a detector found, or the faces a face
// reader found with the expression it read on each.
function photoLine(found) {
  if (!Array.isArray(found)) return null;
  if (!found.length) return "nothing found";
  const chance = (p) => (p < 0.005 ? "<1%" : percent(p, 0));
  const named = (f) => (f.expression ? [`a face: ${f.expression}`, f.probabilities?.[f.expression]]
    : [f.label.split(", ")[0], f.probability ?? f.score]);
  return found.slice(0, 3).map((f) => named(f)).map(([label, p]) => `${label} ${chance(p)}`).join(" · ") +
    (found.length > 3 ? ` and ${found.length - 3} more` : "");
}

export function pretrainedFacts(card) {
  const source = card.source ?? {};
  // One conversion record, or several by name (a face reader's two networks).
  const conversions = source.conversion?.parity || source.conversion?.tools ? [["", source.conversion]]
    : Object.entries(source.conversion ?? {});
  const first = conversions[0]?.[1];
  const files = [...(source.files ?? []), ...conversions.flatMap(([, c]) => c.source?.files ?? []),
    ...(source.labels ? [source.labels] : [])];
  const photos = Object.entries(card.metrics?.photos ?? card.metrics?.photos_with_faces ?? {});
  const rows = [
    ["Data", card.dataset],
    ["Weights", files.length ? h("ul", { class: "pinned" }, files.map(pinned)) : null],
    ["Licence", [...new Set(conversions.map(([, c]) => c.source?.licence).filter(Boolean))].join("; ")],
    ["Converted", converted(first)],
    ["Input", conversions.length > 1 ? null : first?.input?.preprocessing],
    ["Checked", checked(card, conversions)],
    ["Parameters", Number.isFinite(card.parameters) ? count(card.parameters) : null],
    ["Model file", Number.isFinite(card.model?.bytes)
      ? [`${(card.model.bytes / 1e6).toFixed(1)} MB `, short(card.model.sha256)] : null],
    ["Imported", imported(card.imported)],
    ["Reproduce", card.command && h("code", { "data-testid": "command" }, card.command)],
  ];
  return [
    h("dl", { class: "facts" }, rows.filter(([, value]) => value != null && value !== "" && value !== false)
      .map(([name, value]) => [h("dt", {}, name), h("dd", {}, value)])),
    photos.length > 0 && h("h4", {}, "On the test photos"),
    photos.length > 0 && h("dl", { class: "facts photos", "data-testid": "test-photos" },
      photos.map(([name, found]) => [h("dt", {}, name), h("dd", {}, photoLine(found) ?? "–")])),
  ];
}
