// Element builders. Data from the capture (and from the server in general) is only ever
// inserted as text nodes or attribute values, never parsed as HTML: a packet can carry any
// bytes, and the original console's raw-HTML rendering was an injection hole.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(el, children) {
    for (const child of children) {
        if (child === null || child === undefined || child === false) continue;
        if (Array.isArray(child)) append(el, child);
        else if (child instanceof Node) el.appendChild(child);
        else el.appendChild(document.createTextNode(String(child)));
    }
}

function setAttrs(el, attrs) {
    for (const [key, value] of Object.entries(attrs || {})) {
        if (value === null || value === undefined || value === false) continue;
        if (key.startsWith('on') && typeof value === 'function') {
            el.addEventListener(key.slice(2), value);
        } else if (key === 'dataset') {
            Object.assign(el.dataset, value);
        } else {
            el.setAttribute(key, value === true ? '' : String(value));
        }
    }
}

/** h('a', {href: '/x', class: 'y'}, 'text', otherNode, [more]) */
export function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
}

/** The same for SVG elements (plots drawn without a library). */
export function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    setAttrs(el, attrs);
    append(el, children);
    return el;
}

/** Replaces every child of `el` with `children`. */
export function replace(el, ...children) {
    el.replaceChildren();
    append(el, children);
    return el;
}
