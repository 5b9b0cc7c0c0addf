// Staff page of the parent-portal help desk. Vanilla JS, no external assets.
// The token is kept in sessionStorage (this tab only) and sent as a bearer token.
(function () {
  "use strict";

  var TOKEN_KEY = "helpdesk.token";
  var NAME_KEY = "helpdesk.staff";
  var POLL_MS = 5000;
  var QUEUE_REFRESH_MS = 30000;
  var pollTimer = null;
  var queueTimer = null;
  var currentTicket = null;

  function $(id) { return document.getElementById(id); }
  function token() { return sessionStorage.getItem(TOKEN_KEY); }
  function staffName() { return sessionStorage.getItem(NAME_KEY) || ""; }

  function flash(text, isError) {
    var el = $("flash");
    el.textContent = text || "";
    el.className = isError ? "error" : "";
  }

  // fetch with the bearer token; resolves to the Response, rejects with an Error carrying the API message.
  function call(url, options) {
    options = options || {};
    var headers = options.headers || {};
    headers["Authorization"] = "Bearer " + token();
    options.headers = headers;
    return fetch(url, options).then(function (response) {
      if (response.status === 401) {
        logout("Your token was not accepted. Log in again.");
        throw new Error("not logged in");
      }
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          throw new Error(body.error || ("HTTP " + response.status));
        });
      }
      return response;
    });
  }

  function post(path, body) {
    return call(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) { return response.json(); });
  }

  function localTimes(root) {
    var times = root.querySelectorAll("time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var date = new Date(times[i].getAttribute("datetime"));
      if (!isNaN(date.getTime())) {
        times[i].textContent = date.toLocaleString();
        times[i].title = times[i].getAttribute("datetime");
      }
    }
  }

  function insert(el, htmlText) {
    el.innerHTML = htmlText;
    localTimes(el);
  }

  function filters() {
    var params = new URLSearchParams();
    ["status", "kind", "school", "language"].forEach(function (name) {
      var value = $("filter-" + name).value;
      if (value) { params.set(name, value); }
    });
    return params;
  }

  function loadQueue() {
    var params = filters();
    var school = params.get("school");
    call("/staff/fragments/queue?" + params.toString())
      .then(function (r) { return r.text(); })
      .then(function (text) { insert($("queue"), text); })
      .catch(function (error) { flash(error.message, true); });
    call("/staff/fragments/dashboard" + (school ? "?school=" + encodeURIComponent(school) : ""))
      .then(function (r) { return r.text(); })
      .then(function (text) { insert($("dashboard-body"), text); })
      .catch(function (error) { flash(error.message, true); });
  }

  function fillStaffName(root) {
    var inputs = root.querySelectorAll("input[name=assignee]");
    for (var i = 0; i < inputs.length; i++) {
      if (!inputs[i].value) { inputs[i].value = staffName(); }
    }
  }

  function openTicket(id, keepFocus) {
    currentTicket = id;
    return call("/staff/fragments/tickets/" + id)
      .then(function (r) { return r.text(); })
      .then(function (text) {
        var section = $("ticket");
        insert(section, text);
        fillStaffName(section);
        section.hidden = false;
        if (!keepFocus) {
          var heading = $("ticket-title");
          heading.setAttribute("tabindex", "-1");
          heading.focus();
        }
        startPolling();
      })
      .catch(function (error) { flash(error.message, true); });
  }

  function closeTicket() {
    currentTicket = null;
    stopPolling();
    $("ticket").hidden = true;
    $("ticket").innerHTML = "";
    $("queue-title").focus();
  }

  // While a ticket is open, refresh its conversation (the parent may write during a live handoff).
  function startPolling() {
    stopPolling();
    pollTimer = setInterval(function () {
      if (currentTicket === null) { return; }
      call("/staff/fragments/tickets/" + currentTicket + "?part=conversation")
        .then(function (r) { return r.text(); })
        .then(function (text) {
          var el = $("conversation");
          if (el && el.getAttribute("data-ticket-id") === String(currentTicket)) { insert(el, text); }
        })
        .catch(function () { /* shown on the next action */ });
    }, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  }

  var ACTIONS = {
    claim: function (form) { return ["claim", { assignee: form.assignee.value }]; },
    reply: function (form) { return ["messages", { text: form.text.value }]; },
    handback: function () { return ["handback", {}]; },
    resolve: function (form) { return ["resolve", { message: form.message.value, note: form.note.value }]; },
    note: function (form) { return ["notes", { text: form.text.value }]; },
    close: function (form) { return ["status", { status: "closed", note: form.note.value }]; }
  };
  var DONE = {
    claim: "Ticket claimed.", reply: "Reply sent to the parent's conversation.",
    handback: "Conversation handed back to the assistant.", resolve: "Ticket resolved; the parent is being told.",
    note: "Note added.", close: "Ticket closed."
  };

  function onAction(event) {
    var form = event.target;
    var action = form.getAttribute("data-action");
    if (!action || !ACTIONS[action]) { return; }
    event.preventDefault();
    if (action === "close" && !window.confirm("Close this ticket without a fix?")) { return; }
    var id = form.getAttribute("data-ticket-id");
    var spec = ACTIONS[action](form);
    spec[1].staff = staffName();
    var buttons = form.querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = true; }
    post("/api/tickets/" + id + "/" + spec[0], spec[1])
      .then(function () {
        flash(DONE[action], false);
        loadQueue();
        return openTicket(id, true);
      })
      .catch(function (error) {
        flash(error.message, true);
        for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = false; }
      });
  }

  function showApp(me) {
    $("login").hidden = true;
    $("app").hidden = false;
    $("logout").hidden = false;
    var who = $("whoami");
    who.hidden = false;
    who.textContent = staffName() + " - " + (me.scope === "district" ? "all schools" : me.schools.map(function (s) { return s.name; }).join(", "));
    if (me.scope === "district") {
      var select = $("filter-school");
      select.length = 1;
      me.schools.forEach(function (school) {
        var option = document.createElement("option");
        option.value = school.id;
        option.textContent = school.name;
        select.appendChild(option);
      });
      $("filter-school-field").hidden = false;
    }
    loadQueue();
    if (queueTimer) { clearInterval(queueTimer); }
    queueTimer = setInterval(loadQueue, QUEUE_REFRESH_MS);
    var match = /^#ticket-(\d+)$/.exec(window.location.hash);
    if (match) { openTicket(match[1]); }
  }

  function logout(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    stopPolling();
    if (queueTimer) { clearInterval(queueTimer); queueTimer = null; }
    $("app").hidden = true;
    $("logout").hidden = true;
    $("whoami").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message || "";
    $("login-token").value = "";
    $("login-name").value = staffName();
  }

  function checkLogin() {
    return call("/api/me").then(function (r) { return r.json(); }).then(showApp);
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("login-form").addEventListener("submit", function (event) {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $("login-token").value.trim());
      sessionStorage.setItem(NAME_KEY, $("login-name").value.trim());
      $("login-error").textContent = "";
      checkLogin().catch(function (error) {
        if (error.message !== "not logged in") { $("login-error").textContent = error.message; }
      });
    });
    $("logout").addEventListener("click", function () { logout("You are logged out."); });
    $("filters").addEventListener("submit", function (event) { event.preventDefault(); loadQueue(); });
    $("queue").addEventListener("click", function (event) {
      var link = event.target.closest("a[data-ticket-id]");
      if (link) { event.preventDefault(); window.location.hash = "ticket-" + link.getAttribute("data-ticket-id"); openTicket(link.getAttribute("data-ticket-id")); }
    });
    $("ticket").addEventListener("submit", onAction);
    $("ticket").addEventListener("click", function (event) {
      if (event.target.closest("[data-close-ticket]")) { history.replaceState(null, "", "#"); closeTicket(); }
    });
    if (token()) {
      checkLogin().catch(function () { /* logout() already showed the form */ });
    } else {
      $("login-name").value = staffName();
    }
  });
})();
