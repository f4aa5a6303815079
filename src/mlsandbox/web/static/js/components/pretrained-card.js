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

function checked(card) {
  const conversion = card.source?.conversion;
  if (conversion?.parity) {
    const worst = Math.max(...Object.values(conversion.parity.max_abs_difference ?? {}).flatMap(Object.values));
    return tiny(worst) && joined(`ONNX Runtime's outputs are within ${tiny(worst)} of`,
      conversion.parity.reference ?? "the original's", tiny(conversion.parity.tolerance) && `(allowed: ${tiny(conversion.parity.tolerance)})`);
  }
  const difference = tiny(card.model?.onnx_vs_torch_max_difference);
  return difference && `ONNX Runtime's outputs are within ${difference} of PyTorch's`;
}

function converted(conversion) {
  const tools = conversion?.tools;
  if (!tools) return null;
  return joined(tools.tf2onnx && `tf2onnx ${tools.tf2onnx}`, tools.onnx_opset && `(opset ${tools.onnx_opset})`,
    tools["tensorflow-cpu"] && `with TensorFlow ${tools["tensorflow-cpu"]}`) || null;
}

// One line per test photo: the top labels of a classifier, or the objects a detector found.
function photoLine(found) {
  if (!Array.isArray(found)) return null;
  if (!found.length) return "nothing found";
  const chance = (p) => (p < 0.005 ? "<1%" : percent(p, 0));
  return found.slice(0, 3).map((f) => `${f.label.split(", ")[0]} ${chance(f.probability ?? f.score)}`).join(" · ");
}

export function pretrainedFacts(card) {
  const source = card.source ?? {};
  const conversion = source.conversion;
  const files = [...(source.files ?? []), ...(conversion?.source?.files ?? []), ...(source.labels ? [source.labels] : [])];
  const photos = Object.entries(card.metrics?.photos ?? {});
  const rows = [
    ["Data", card.dataset],
    ["Weights", files.length ? h("ul", { class: "pinned" }, files.map(pinned)) : null],
    ["Licence", conversion?.source?.licence],
    ["Converted", converted(conversion)],
    ["Input", conversion?.input?.preprocessing],
    ["Checked", checked(card)],
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
