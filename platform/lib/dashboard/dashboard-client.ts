// The dashboard's only script, served as a file (pages carry no inline script, so nothing from a payload
// can become code): live pages re-render their <main> when the platform reports a change over
// server-sent events; forms with data-confirm ask first; the Test page's task picker fills its payload.
export const DASHBOARD_CLIENT_JS = `
(() => {
  const main = document.getElementById("main");
  const busyEditing = () => main.contains(document.activeElement) && /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
  let pending = false;
  async function refresh() {
    if (pending) return;
    pending = true;
    setTimeout(async () => {
      pending = false;
      if (busyEditing() || main.querySelector("details[open] form")) return;
      const res = await fetch(location.href, { headers: { "x-dashboard-fragment": "main" } });
      if (res.ok) main.innerHTML = await res.text();
    }, 400);
  }
  if (main && main.dataset.live === "true" && "EventSource" in window) {
    const source = new EventSource("/dashboard/live");
    source.addEventListener("change", refresh);
  }
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
  document.addEventListener("change", (event) => {
    const picker = event.target;
    if (picker.id !== "task-picker") return;
    const option = picker.selectedOptions[0];
    const payload = document.getElementById("payload");
    if (option && payload && option.dataset.payload !== undefined) payload.value = option.dataset.payload;
  });
})();
`;
