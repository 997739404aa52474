/* The end of the Authorize popup: tell the Provisioning page that opened it the result (to this origin
   only) and, when GoTo's tokens are stored, close the window. A failure stays open to be read. */
(function () {
  "use strict";
  var script = document.currentScript;
  var authorized = script.dataset.authorized === "true";
  if (window.opener && !window.opener.closed) {
    window.opener.postMessage({type: "entra-lab-token-authorize", authorized: authorized,
                               message: authorized ? "" : script.dataset.message},
                              window.location.origin);
    if (authorized) {
      window.close();
    }
  }
}());
