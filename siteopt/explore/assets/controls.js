// The explorer's controls: native form elements, each with a visible <label> that is also its
// accessible name. Every user action becomes one `event` ({n, kind, ...}) for Python, which
// checks it with the model file's schema; Python sends back `values` (with `answered`, the
// number of the last action it had handled), `notes`, `required`, `excluded` and `scenario`.
// Values from the data (site IDs and names) are set as text or as properties, never as HTML.

function element(tag, properties = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, properties);
  node.append(...children);
  return node;
}

export function render({ model, el }) {
  let counter = 0;
  const send = (event) => { model.event = { n: ++counter, ...event }; };
  const inputs = {};   // key -> the inputs showing it
  const notes = {};    // key -> the element showing its note

  const form = element("form", { className: "controls" });
  form.addEventListener("submit", (e) => e.preventDefault());

  // scenario
  const scenario = element("select", { id: "scenario" });
  for (const name of model.scenarios) {
    scenario.append(element("option", { value: name, textContent: name }));
  }
  scenario.value = model.scenario;
  scenario.addEventListener("change", () => send({ kind: "scenario", value: scenario.value }));
  form.append(element("div", { className: "field" }, [
    element("label", { htmlFor: "scenario", textContent: "Scenario" }), scenario]));

  for (const field of model.fields) {
    const id = "control-" + field.key.replace(".", "-");
    const row = element("div", { className: "field" });
    const label = element("label", { htmlFor: id, textContent: field.label });
    inputs[field.key] = [];
    if (field.kind === "switch") {
      const box = element("input", { type: "checkbox", id });
      box.setAttribute("role", "switch");
      box.addEventListener("change", () => send({ kind: "set", key: field.key, value: box.checked }));
      inputs[field.key].push(box);
      row.append(box, label);
    } else if (field.kind === "choice") {
      const choice = element("select", { id });
      for (const value of field.choices) {
        choice.append(element("option", { value, textContent: value }));
      }
      choice.addEventListener("change", () => send({ kind: "set", key: field.key, value: choice.value }));
      inputs[field.key].push(choice);
      row.append(label, choice);
    } else {
      const number = element("input", { type: "number", id, min: field.min, step: field.step });
      if (field.max !== null) number.max = field.max;
      number.addEventListener("change", () => send({ kind: "set", key: field.key, value: number.value }));
      inputs[field.key].push(number);
      row.append(label, number);
      if (field.kind === "slider") {
        const slider = element("input", { type: "range", id: id + "-slider", min: field.min,
                                          max: field.max, step: field.step });
        slider.setAttribute("aria-label", field.label);
        slider.addEventListener("input", () => {
          number.value = slider.value;
          send({ kind: "set", key: field.key, value: slider.value });
        });
        inputs[field.key].push(slider);
        row.append(slider);
      }
    }
    notes[field.key] = element("span", { className: "note", id: id + "-note" });
    row.append(notes[field.key]);
    form.append(row);
  }

  // sites: search, act, and the two lists
  const options = element("datalist", { id: "site-options" });
  for (const [id, name] of model.sites) {
    options.append(element("option", { value: id, label: name }));
  }
  const search = element("input", { type: "search", id: "site-search", autocomplete: "off" });
  search.setAttribute("list", "site-options");
  search.addEventListener("change", () => send({ kind: "pick", site: search.value.trim() }));
  const buttons = [["Require", "required"], ["Exclude", "excluded"], ["Free", "free"]].map(
    ([text, state]) => {
      const button = element("button", { type: "button", textContent: text });
      button.addEventListener("click", () => send({ kind: "site", site: search.value.trim(), state }));
      return button;
    });
  const explain = element("button", { type: "button", textContent: "Explain" });
  explain.addEventListener("click", () => send({ kind: "explain", site: search.value.trim() }));
  form.append(element("div", { className: "field sites" }, [
    element("label", { htmlFor: "site-search", textContent: "Find a site" }), search, options,
    element("div", { className: "buttons" }, [...buttons, explain])]));

  const lists = {};
  for (const [key, title] of [["required", "Required sites"], ["excluded", "Excluded sites"]]) {
    const heading = element("div", { className: "list-title", id: "list-" + key, textContent: title });
    const list = element("ul", { className: "site-list" });
    list.setAttribute("aria-labelledby", "list-" + key);
    lists[key] = list;
    form.append(element("div", { className: "field" }, [heading, list]));
  }
  const reset = element("button", { type: "button", textContent: "Reset to the scenario" });
  reset.addEventListener("click", () => send({ kind: "reset" }));
  form.append(element("div", { className: "field" }, [reset]));

  function showValues() {
    // Values Python sent before it saw the user's latest action are out of date: showing
    // them would move a slider back under the user's hand. The next values will be current.
    // Nor is a value written into the field being typed in (the page's own document, a
    // shadow root here, knows which: `document.activeElement` is only the shadow's host).
    if (model.answered < counter) return;
    const focused = form.getRootNode().activeElement;
    for (const [key, value] of Object.entries(model.values)) {
      for (const input of inputs[key] || []) {
        if (input.type === "checkbox") input.checked = Boolean(value);
        else if (focused !== input || input.type === "range") input.value = value;
      }
    }
  }
  function showNotes() {
    for (const [key, note] of Object.entries(notes)) note.textContent = model.notes[key] || "";
  }
  function showLists() {
    for (const key of ["required", "excluded"]) {
      const list = lists[key];
      list.replaceChildren();
      const ids = model[key];
      if (!ids.length) list.append(element("li", { className: "empty", textContent: "none" }));
      for (const id of ids) {
        const free = element("button", { type: "button", textContent: "\u00d7" });
        free.setAttribute("aria-label", "Free " + id);
        free.addEventListener("click", () => send({ kind: "site", site: id, state: "free" }));
        list.append(element("li", {}, [element("span", { textContent: id }), free]));
      }
    }
  }
  showValues(); showNotes(); showLists();
  model.on("values", showValues);
  model.on("answered", showValues);
  model.on("notes", showNotes);
  model.on("required", showLists);
  model.on("excluded", showLists);
  model.on("scenario", () => { scenario.value = model.scenario; });
  model.on("site", () => { search.value = model.site; });
  el.append(form);
}
