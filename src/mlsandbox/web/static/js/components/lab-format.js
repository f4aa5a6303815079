// Words and numbers for the lab: a setting's name in words, a value as a person would write it, a duration.

import { count, h } from "../dom.js";

const NAMES = { fraction: "Share of the training data" };

// "learning_rate" -> "Learning rate"
export function words(name) {
  if (NAMES[name]) return NAMES[name];
  const text = name.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// A setting's value: "on"/"off", a whole number with separators, or three significant digits.
export function value(v, type = typeof v === "boolean" ? "bool" : Number.isInteger(v) ? "int" : "float") {
  if (type === "bool") return v ? "on" : "off";
  if (typeof v !== "number" || !Number.isFinite(v)) return "–";
  if (type === "int") return count(Math.round(v));
  return String(Number(v.toPrecision(3)));
}

// Seconds as "45 s", "3 min 20 s", "1 h 5 min".
export function duration(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  const minutes = Math.round((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${minutes ? ` ${minutes} min` : ""}`;
}

// An estimate: "about 3 min 20 s", or "under a second".
export const about = (seconds) => (seconds < 1 ? "under a second" : `about ${duration(seconds)}`);

// A number that may be absent: formatted by format, or "–".
export const maybe = (v, format) => (typeof v === "number" && Number.isFinite(v) ? format(v) : "–");

// A message from the server, with its `commands` in code type: a list of text and <code> nodes.
export const withCode = (text) => String(text ?? "").split("`").map((part, i) => (i % 2 ? h("code", {}, part) : part))
  .filter((part) => part !== "");
