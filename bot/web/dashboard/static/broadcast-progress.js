// Keep a broadcast's progress numbers up to date while it sends (the page works without it: "Refresh the numbers").
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box || box.getAttribute("data-done") === "yes" || !window.fetch) { return; }
  var url = box.getAttribute("data-progress-url");
  function update() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (numbers) {
        if (!numbers) { return; }
        box.querySelectorAll("[data-field]").forEach(function (element) {
          var name = element.getAttribute("data-field");
          if (numbers[name] !== undefined && element.textContent !== String(numbers[name])) {
            element.textContent = numbers[name];
          }
        });
        var status = box.querySelector("[data-field=status_words]");
        if (status) { status.className = "status-" + numbers.status; }
        if (numbers.done) { box.setAttribute("data-done", "yes"); } else { window.setTimeout(update, 2000); }
      })
      .catch(function () { window.setTimeout(update, 5000); });
  }
  window.setTimeout(update, 1000);
})();
