// Build elements without HTML strings (text from the API is never parsed as HTML), and format numbers.

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  return appendTo(el, ...children);
}

// Append children to an element, leaving out the absent ones (null, undefined, false), which
// Element.append would print as words.
export function appendTo(el, ...children) {
  el.append(...children.flat(Infinity).filter((c) => c != null && c !== false));
  return el;
}

export const percent = (p, digits = 1) => `${(p * 100).toFixed(digits)}%`;

export const count = (n) => n.toLocaleString("en-US");

// The page's message area: shown with a text, hidden with none.
export function showMessage(text) {
  const area = document.querySelector("[data-testid=message]");
  area.textContent = text || "";
  area.hidden = !text;
}
