/* Preflight pages: two conveniences, nothing fetched. Served to the Airflow UI pages
   (script-src 'self'), inlined into report.html. Without it every page still works. */
(function () {
  "use strict";
  // 1. Times in the reader's own time zone (the page says UTC until this runs).
  var format = new Intl.DateTimeFormat(undefined, {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  var times = document.querySelectorAll("time[data-local]");
  for (var i = 0; i < times.length; i++) {
    var moment = new Date(times[i].getAttribute("datetime"));
    if (!isNaN(moment.getTime())) {
      times[i].title = times[i].textContent.trim();
      times[i].textContent = format.format(moment);
    }
  }
  // 2. Links that leave Preflight (DAG runs, JSON) open in Airflow's own window, not in
  //    the frame Airflow shows Preflight in. That frame's sandbox forbids navigating the
  //    top window from the frame, so the link is followed from Airflow's own document
  //    (same origin): a link there may navigate its own window.
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("a[data-top]") : null;
    if (!link || event.defaultPrevented || event.button !== 0 ||
        event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (window.top === window) return; // not framed: an ordinary link
    var top;
    try { top = window.top.document; } catch (e) { return; } // another origin: leave it be
    var proxy = top.createElement("a");
    proxy.href = link.href;
    proxy.style.display = "none";
    top.body.appendChild(proxy);
    event.preventDefault();
    proxy.click();
    proxy.remove();
  });
})();
