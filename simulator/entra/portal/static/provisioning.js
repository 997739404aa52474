/* The Provisioning page's Authorize button: GoTo's sign-in in a popup window. The popup ends on the
   portal's TokenAuthorize page, which tells this page the result (postMessage to this origin) and closes
   itself; the page then shows "Authorized" without a reload, so the fields typed so far stay. */
(function () {
  "use strict";
  var MESSAGE_TYPE = "entra-lab-token-authorize";
  var button = document.getElementById("authorize");
  var status = document.getElementById("authorize-status");
  if (!button || !status) {
    return;
  }

  function show(text, kind, detail) {
    var label = document.createElement("span");
    label.className = kind;
    label.textContent = text;
    status.replaceChildren(label);
    if (detail) {
      var more = document.createElement("span");
      more.textContent = " " + detail;
      status.appendChild(more);
    }
  }

  button.addEventListener("click", function () {
    var popup = window.open(button.dataset.authorizeUrl, "gotomeeting-authorize",
                            "popup=yes,width=520,height=680");
    if (!popup) {
      show(button.dataset.blockedText, "status-bad");
    }
  });

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== window.location.origin || !data || data.type !== MESSAGE_TYPE) {
      return;
    }
    if (data.authorized) {
      show(status.dataset.authorizedText, "status-ok");
    } else {
      show(status.dataset.notAuthorizedText, "status-bad", data.message || "");
    }
  });
}());
