/* The tabs of a log entry's details pane, as the WAI-ARIA tabs pattern has them: selecting a tab shows
   its panel in place (every panel is already on the page), without loading the page again, and keeps
   the address in step (?tab=); the arrow keys, Home and End move between the tabs of a tab list. Without
   this script each tab is a link to the same page with that tab selected. */
(function () {
  "use strict";
  var TAB = '[role="tablist"] [role="tab"]';

  function select(tab, focus) {
    tab.closest('[role="tablist"]').querySelectorAll('[role="tab"]').forEach(function (other) {
      var chosen = other === tab;
      other.setAttribute("aria-selected", chosen ? "true" : "false");
      other.tabIndex = chosen ? 0 : -1;
      var panel = document.getElementById(other.getAttribute("aria-controls"));
      if (panel) {
        panel.hidden = !chosen;
      }
    });
    if (focus) {
      tab.focus();
    }
    window.history.replaceState(null, "", tab.href);
  }

  document.addEventListener("click", function (event) {
    var tab = event.target.closest && event.target.closest(TAB);
    if (!tab || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    select(tab, false);
  });

  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest && event.target.closest(TAB);
    if (!tab) {
      return;
    }
    var tabs = Array.prototype.slice.call(tab.closest('[role="tablist"]').querySelectorAll('[role="tab"]'));
    var at = tabs.indexOf(tab);
    var next = {ArrowRight: tabs[(at + 1) % tabs.length], ArrowLeft: tabs[(at - 1 + tabs.length) % tabs.length],
                Home: tabs[0], End: tabs[tabs.length - 1]}[event.key];
    if (next) {
      event.preventDefault();
      select(next, true);
    }
  });
}());
