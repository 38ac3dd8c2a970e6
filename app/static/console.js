// SocialSync console: error messages, upload progress, keyboard shortcuts, drag to reschedule.
// HTMX does the rest; nothing here is needed for a page to work, only to be quicker.
(function () {
  "use strict";

  function toast(message) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, 6000);
  }

  function apiMessage(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      var detail = body.detail;
      if (detail && detail.message) return detail.message;
      if (Array.isArray(detail) && detail[0] && detail[0].msg) return detail[0].msg;
    } catch (e) { /* not JSON */ }
    return null;
  }

  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (xhr.status >= 400 && type.indexOf("json") !== -1) {
      evt.detail.shouldSwap = false;
      toast(apiMessage(xhr) || "Something went wrong (" + xhr.status + "). Try again.");
    } else if (xhr.status === 422) {
      evt.detail.shouldSwap = true;  // a form with its errors next to the fields
      evt.detail.isError = false;
    }
  });
  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr.status >= 500) toast(apiMessage(xhr) || "The server had a problem: try again in a moment.");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("No connection to SocialSync: check your network and try again.");
  });

  // upload progress on forms that name their <progress>
  document.addEventListener("htmx:xhr:progress", function (evt) {
    var form = evt.target.closest && evt.target.closest("form[data-progress]");
    if (!form || !evt.detail.lengthComputable) return;
    var bar = document.querySelector(form.getAttribute("data-progress"));
    if (!bar) return;
    bar.hidden = false;
    bar.value = Math.round((evt.detail.loaded / evt.detail.total) * 100);
  });

  // the bot's draft and canned replies fill the reply box
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-fill]");
    if (!button) return;
    var box = button.form && button.form.querySelector("textarea");
    if (box) { box.value = button.getAttribute("data-fill"); box.focus(); }
  });
  document.addEventListener("change", function (evt) {
    var select = evt.target;
    if (!select.matches || !select.matches("[data-fill-select]") || !select.value) return;
    var box = select.form && select.form.querySelector("textarea");
    if (box) { box.value = select.value; box.focus(); }
    select.value = "";
  });

  // inbox keys: j/k move, r reply, e resolve, t take over
  document.addEventListener("keydown", function (evt) {
    if (evt.ctrlKey || evt.metaKey || evt.altKey) return;
    var tag = (evt.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || evt.target.isContentEditable) return;
    var links = Array.prototype.slice.call(document.querySelectorAll("#conversation-list a[data-keynav]"));
    if (evt.key === "j" || evt.key === "k") {
      if (!links.length) return;
      var current = links.indexOf(document.activeElement);
      if (current === -1) {
        var selected = document.querySelector("#conversation-list li.selected a");
        current = links.indexOf(selected);
      }
      var next = evt.key === "j" ? Math.min(current + 1, links.length - 1) : Math.max(current - 1, 0);
      links[next].focus();
      evt.preventDefault();
    } else if (evt.key === "Enter" && links.indexOf(document.activeElement) !== -1) {
      return;  // the link opens the conversation
    } else if (evt.key === "r") {
      var box = document.getElementById("reply-text");
      if (box) { box.focus(); evt.preventDefault(); }
    } else if (evt.key === "e" || evt.key === "t") {
      var action = document.querySelector('#thread [data-key="' + evt.key + '"]');
      if (action) {
        // a part swapped in a moment ago may not be wired up by HTMX yet
        if (window.htmx) window.htmx.process(action);
        action.click();
        evt.preventDefault();
      }
    }
  });

  // WhatsApp Embedded Signup: Meta's SDK is loaded only when the button is pressed; the popup
  // tells the shared ids in a message, FB.login's callback gives the code (valid 30 seconds),
  // and both go to our server at once
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-embedded-signup]");
    if (!button) return;
    var form = document.getElementById("embedded-signup-form");
    var shared = {};
    var code = null;
    var trusted = button.getAttribute("data-origin") || window.location.origin;
    function finish() {
      if (!code || !shared.waba_id || !shared.phone_number_id) return;
      form.elements.code.value = code;
      form.elements.waba_id.value = shared.waba_id;
      form.elements.phone_number_id.value = shared.phone_number_id;
      form.submit();
    }
    window.addEventListener("message", function (message) {
      if (message.origin !== trusted && !message.origin.endsWith(".facebook.com")) return;
      var data;
      try { data = typeof message.data === "string" ? JSON.parse(message.data) : message.data; } catch (e) { return; }
      if (!data || data.type !== "WA_EMBEDDED_SIGNUP") return;
      if (String(data.event || "").indexOf("FINISH") === 0) {
        shared = data.data || {};
        finish();
      } else if (data.event === "CANCEL") {
        toast("The signup was closed" + (data.data && data.data.current_step ? " at " + data.data.current_step : "") + ": nothing was connected.");
      }
    });
    function login() {
      window.FB.init({ appId: button.getAttribute("data-app"), autoLogAppEvents: true, xfbml: true, version: button.getAttribute("data-version") });
      window.FB.login(function (response) {
        if (response && response.authResponse && response.authResponse.code) {
          code = response.authResponse.code;
          finish();
        } else {
          toast("Meta's signup did not finish: nothing was connected.");
        }
      }, { config_id: button.getAttribute("data-config"), response_type: "code", override_default_response_type: true, extras: { setup: {}, sessionInfoVersion: "3" } });
    }
    if (window.FB) { login(); return; }
    var script = document.createElement("script");
    script.src = button.getAttribute("data-sdk");
    script.async = true;
    script.onload = login;
    script.onerror = function () { toast("Meta's sign-in could not be loaded: check the network, or connect by hand below."); };
    document.head.appendChild(script);
  });

  // calendar: drag a tile to another day; the time of day stays
  document.addEventListener("dragstart", function (evt) {
    var tile = evt.target.closest && evt.target.closest("[data-post][draggable=true]");
    if (!tile) return;
    evt.dataTransfer.setData("text/plain", tile.getAttribute("data-post"));
    evt.dataTransfer.effectAllowed = "move";
  });
  document.addEventListener("dragover", function (evt) {
    var day = evt.target.closest && evt.target.closest("#calendar [data-day]");
    if (!day) return;
    evt.preventDefault();
    day.classList.add("drop");
  });
  document.addEventListener("dragleave", function (evt) {
    var day = evt.target.closest && evt.target.closest("#calendar [data-day]");
    if (day) day.classList.remove("drop");
  });
  document.addEventListener("drop", function (evt) {
    var day = evt.target.closest && evt.target.closest("#calendar [data-day]");
    if (!day) return;
    evt.preventDefault();
    var post = evt.dataTransfer.getData("text/plain");
    var calendar = document.getElementById("calendar");
    if (!post || !window.htmx) return;
    window.htmx.ajax("POST", "/calendar/posts/" + post + "/move", {
      target: "#calendar", swap: "outerHTML",
      values: { day: day.getAttribute("data-day"), view: calendar.getAttribute("data-view"), anchor: calendar.getAttribute("data-anchor") }
    });
  });
})();
