/*!
 * Parent Portal chat widget: a self-hosted web chat for the Rasa assistant (Rasa's `socketio` channel).
 *
 * Embed with one script tag:
 *   <script src="/chat/widget.js" data-server-url="http://localhost:5005"
 *           data-title="Parent Portal help" data-lang="en" defer></script>
 *
 * The Socket.IO client (vendor/socket.io.min.js) and widget.css are loaded from the same folder as this file.
 * Message text is never parsed as HTML: every message is built from DOM nodes (text nodes and checked links).
 * See docs/webchat.md for the data attributes, history and push, the language toggle, and accessibility notes.
 */
(function () {
  "use strict";

  if (window.ParentPortalChat) return; // embedded twice: keep the first one

  var script = document.currentScript ||
    document.querySelector("script[src*='widget.js'][data-server-url]") ||
    document.querySelector("script[src*='widget.js']");
  if (!script) return;
  var baseUrl = new URL(".", script.src).href;

  function attr(name, fallback) {
    var value = script.getAttribute("data-" + name);
    return value === null || value === "" ? fallback : value;
  }

  var STRINGS = {
    en: {
      launcher: "Chat with us",
      newMessages: function (n) { return n === 1 ? "1 new message" : n + " new messages"; },
      close: "Close chat",
      newChat: "New chat",
      newChatLabel: "Start a new chat and clear this conversation from this device",
      conversation: "Conversation",
      inputLabel: "Type your question",
      placeholder: "Type your question…",
      send: "Send",
      you: "You said:",
      assistant: "Assistant said:",
      typing: "The assistant is typing",
      replies: "Suggested replies",
      newTab: "(opens in a new tab)",
      offline: "We can't reach the help assistant right now. Check your internet connection and try again.",
      retry: "Try again",
      connecting: "Connecting…",
      reconnected: "Connected again.",
      slow: "The assistant hasn't answered yet. Please try again in a moment.",
      notSent: "Your message wasn't sent because we can't reach the help assistant. It's still in the box.",
      intro: "Ask about your Campus Parent portal account. Please don't type passwords here.",
      image: "Image from the assistant",
      // The language toggle offers the other language, in that language (lang="es" on the button). Its name
      // is its visible word (WCAG 2.5.3, label in name: "ES" named "Español" fails axe), the title says more.
      toggle: "Español",
      toggleTitle: "Cambiar el chat a español"
    },
    es: {
      launcher: "Chatee con nosotros",
      newMessages: function (n) { return n === 1 ? "1 mensaje nuevo" : n + " mensajes nuevos"; },
      close: "Cerrar el chat",
      newChat: "Chat nuevo",
      newChatLabel: "Empezar un chat nuevo y borrar esta conversación de este dispositivo",
      conversation: "Conversación",
      inputLabel: "Escriba su pregunta",
      placeholder: "Escriba su pregunta…",
      send: "Enviar",
      you: "Usted dijo:",
      assistant: "El asistente dijo:",
      typing: "El asistente está escribiendo",
      replies: "Respuestas sugeridas",
      newTab: "(se abre en una pestaña nueva)",
      offline: "No podemos conectar con el asistente ahora. Revise su conexión a internet e inténtelo de nuevo.",
      retry: "Intentar de nuevo",
      connecting: "Conectando…",
      reconnected: "Conectado de nuevo.",
      slow: "El asistente todavía no ha contestado. Inténtelo de nuevo en un momento.",
      notSent: "Su mensaje no se envió porque no podemos conectar con el asistente. Sigue en el cuadro.",
      intro: "Pregunte sobre su cuenta del portal Campus Parent. No escriba contraseñas aquí.",
      image: "Imagen del asistente",
      toggle: "English",
      toggleTitle: "Switch the chat to English"
    }
  };

  function languageOf(value) {
    var code = String(value || "").toLowerCase().split("-")[0];
    return STRINGS[code] ? code : "";
  }
  function otherLanguage(code) { return code === "es" ? "en" : "es"; }
  // What the assistant is sent when the parent presses the toggle (channels/inbound.py lets exactly this through).
  function languagePayload(code) { return '/set_language{"language":"' + code + '"}'; }

  var lang;   // "en" or "es": the widget's own words, the `lang` attributes, and the conversation's language
  var T;

  var config = {
    serverUrl: attr("server-url", window.location.origin),
    socketPath: attr("socket-path", "/socket.io/"),
    title: attr("title", "Parent Portal help"),
    historyUrl: attr("history-url", ""),
    initPayload: attr("init-payload", "/greet") === "none" ? "" : attr("init-payload", "/greet"),
    storageKey: attr("storage-key", "ppchat"),
    transports: attr("transports", "websocket").split(",").map(function (t) { return t.trim(); }).filter(Boolean),
    reconnectAttempts: parseInt(attr("reconnect-attempts", "8"), 10),
    replyTimeoutMs: parseInt(attr("reply-timeout-ms", "30000"), 10),
    historyTimeoutMs: 4000,
    maxTranscript: 200,
    maxMessageLength: 1000
  };
  if (isNaN(config.reconnectAttempts) || config.reconnectAttempts < 0) config.reconnectAttempts = 8;
  if (isNaN(config.replyTimeoutMs) || config.replyTimeoutMs < 1000) config.replyTimeoutMs = 30000;

  // ---------------------------------------------------------------------------------------------------
  // Storage: localStorage when the browser allows it, memory otherwise (private modes, blocked storage).
  // ---------------------------------------------------------------------------------------------------
  var memoryStore = {};
  var store = {
    get: function (key) {
      try { return window.localStorage.getItem(config.storageKey + "." + key); } catch (e) { return memoryStore[key] || null; }
    },
    set: function (key, value) {
      try { window.localStorage.setItem(config.storageKey + "." + key, value); } catch (e) { memoryStore[key] = value; }
    },
    remove: function (key) {
      try { window.localStorage.removeItem(config.storageKey + "." + key); } catch (e) { /* ignore */ }
      delete memoryStore[key];
    }
  };
  var openStateStore = {
    get: function () { try { return window.sessionStorage.getItem(config.storageKey + ".open") === "1"; } catch (e) { return false; } },
    set: function (open) { try { window.sessionStorage.setItem(config.storageKey + ".open", open ? "1" : "0"); } catch (e) { /* ignore */ } }
  };

  function cleanButtons(buttons) {
    if (!Array.isArray(buttons)) return [];
    return buttons.filter(function (b) {
      return b && typeof b.title === "string" && b.title && typeof b.payload === "string" && b.payload;
    }).map(function (b) { return { title: b.title, payload: b.payload }; });
  }

  function cleanEntry(entry) {
    if (!entry || (entry.sender !== "parent" && entry.sender !== "assistant")) return null;
    var text = typeof entry.text === "string" ? entry.text : "";
    var image = typeof entry.image === "string" ? entry.image : "";
    if (!text && !image) return null;
    return { sender: entry.sender, text: text, image: image, buttons: cleanButtons(entry.buttons), ts: entry.ts || 0,
             tab: typeof entry.tab === "string" ? entry.tab : "", id: typeof entry.id === "string" ? entry.id : "",
             lang: languageOf(entry.lang) };
  }

  function loadTranscript() {
    try {
      var parsed = JSON.parse(store.get("transcript") || "[]");
      return Array.isArray(parsed) ? parsed.map(cleanEntry).filter(Boolean) : [];
    } catch (e) { return []; }
  }

  function entryKey(e) {
    return e.id ? "id:" + e.id : [e.sender, e.tab, e.ts, e.text].join("|");
  }

  // Tabs write the shared transcript independently; a write from another tab that this one had not seen yet
  // would otherwise be lost. The stored order stays; each of this tab's lines missing there goes in right
  // after the line that preceded it here (clocks of two tabs are not compared).
  function mergeTranscripts(mine, theirs) {
    var result = theirs.slice();
    var keys = result.map(entryKey);
    var previous = null;
    mine.forEach(function (e) {
      var key = entryKey(e);
      if (keys.indexOf(key) === -1) {
        var at = previous === null ? 0 : keys.indexOf(previous) + 1;
        result.splice(at, 0, e);
        keys.splice(at, 0, key);
      }
      previous = key;
    });
    return result;
  }

  function saveTranscript(list) {
    store.set("transcript", JSON.stringify(list.slice(-config.maxTranscript)));
  }

  // A transcript that replaces, not extends, what the tabs had (the server's history, a new conversation):
  // it starts a new epoch, and the other tabs take it as it is instead of merging their lines into it.
  function replaceTranscript(list) {
    state.epoch = String(Date.now()) + "-" + Math.random().toString(36).slice(2);
    store.set("epoch", state.epoch);
    state.transcript = list.slice(-config.maxTranscript);
    saveTranscript(state.transcript);
  }

  // The parent's choice on this device (the toggle) first, then the page: data-lang, <html lang>, the browser.
  lang = languageOf(store.get("lang")) || languageOf(attr("lang", "")) || languageOf(document.documentElement.lang) ||
    languageOf(navigator.language) || "en";
  T = STRINGS[lang];

  // ---------------------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------------------
  var state = {
    sessionId: store.get("session_id"),
    transcript: loadTranscript(),
    epoch: store.get("epoch") || "",
    open: false,
    unread: 0,
    socket: null,
    io: null,
    connected: false,   // session confirmed by the server
    offline: false,     // the offline notice is showing
    waiting: false,     // a parent message is waiting for its answer
    initPending: false,
    languagePending: false, // the toggle was pressed while offline: tell the assistant once connected
    statusKey: "",      // the status line's sentence (a key of STRINGS), so it follows the toggle
    everConnected: false,
    replyTimer: null
  };

  // ---------------------------------------------------------------------------------------------------
  // DOM (inside a shadow root, so the district page's CSS and the widget's CSS don't meet)
  // ---------------------------------------------------------------------------------------------------
  var uid = "ppchat-" + Math.random().toString(36).slice(2, 8);
  var TAB_ID = uid;

  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "className") node.className = value;
        else if (key === "text") node.textContent = value;
        else if (key === "hidden") node.hidden = true;
        else if (key.indexOf("on") === 0) node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? "" : value);
      });
    }
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function svg(pathD) {
    var ns = "http://www.w3.org/2000/svg";
    var node = document.createElementNS(ns, "svg");
    node.setAttribute("viewBox", "0 0 24 24");
    node.setAttribute("width", "20");
    node.setAttribute("height", "20");
    node.setAttribute("aria-hidden", "true");
    node.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", pathD);
    path.setAttribute("fill", "currentColor");
    node.appendChild(path);
    return node;
  }
  var ICON_CHAT = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";
  var ICON_CLOSE = "M18.3 5.7a1 1 0 0 0-1.4 0L12 10.6 7.1 5.7a1 1 0 0 0-1.4 1.4l4.9 4.9-4.9 4.9a1 1 0 1 0 1.4 1.4l4.9-4.9 4.9 4.9a1 1 0 0 0 1.4-1.4L13.4 12l4.9-4.9a1 1 0 0 0 0-1.4z";

  var host = el("div", { id: "ppchat-host", "data-state": "idle" });
  host.style.display = "none"; // shown once widget.css is loaded (no flash of unstyled widget)
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  var unreadText = el("span", { className: "visually-hidden" });
  var badge = el("span", { className: "badge", "aria-hidden": "true", hidden: true });
  var launcher = el("button", {
    type: "button", className: "launcher", "aria-expanded": "false", "aria-controls": uid + "-panel",
    onclick: function () { toggle(); }
  }, [svg(ICON_CHAT), el("span", { className: "launcher-label", text: T.launcher }), unreadText, badge]);

  var titleEl = el("h2", { id: uid + "-title", className: "title", text: config.title });
  var closeBtn = el("button", { type: "button", className: "icon-button", "aria-label": T.close, title: T.close,
    onclick: function () { close(); } }, [svg(ICON_CLOSE)]);
  var newChatBtn = el("button", { type: "button", className: "text-button", "aria-label": T.newChatLabel,
    title: T.newChatLabel, text: T.newChat, onclick: function () { newConversation(); } });
  var langBtn = el("button", { type: "button", className: "text-button lang-toggle",
    onclick: function () { setLanguage(otherLanguage(lang), true); } });
  var header = el("div", { className: "header" }, [titleEl, el("div", { className: "header-actions" },
    [langBtn, newChatBtn, closeBtn])]);

  var intro = el("p", { className: "intro", text: T.intro });
  var list = el("ol", { className: "messages", "aria-label": T.conversation });
  var typing = el("div", { className: "typing", hidden: true }, [
    el("span", { className: "dot", "aria-hidden": "true" }), el("span", { className: "dot", "aria-hidden": "true" }),
    el("span", { className: "dot", "aria-hidden": "true" }), el("span", { className: "visually-hidden", text: T.typing })
  ]);
  var scroller = el("div", { className: "scroller" }, [intro, list, typing]);

  // Polite live region: each new assistant message (not the history) is read once by screen readers, also
  // while the chat is closed (a resolved ticket, a staff reply).
  var announcer = el("div", { className: "visually-hidden", "aria-live": "polite", "aria-atomic": "false" });

  var offlineText = el("p", { className: "notice-text", text: T.offline });
  var retryBtn = el("button", { type: "button", className: "retry", text: T.retry, onclick: function () { retry(); } });
  var offlineBox = el("div", { className: "notice", role: "alert", hidden: true }, [offlineText, retryBtn]);
  var statusLine = el("p", { className: "status", role: "status" });

  var input = el("input", {
    type: "text", id: uid + "-input", className: "input", autocomplete: "off", maxlength: String(config.maxMessageLength),
    placeholder: T.placeholder, enterkeyhint: "send"
  });
  var sendBtn = el("button", { type: "submit", className: "send", text: T.send });
  var inputLabel = el("label", { "for": uid + "-input", className: "visually-hidden", text: T.inputLabel });
  var form = el("form", { className: "composer", onsubmit: function (event) { event.preventDefault(); sendTyped(); } }, [
    inputLabel, input, sendBtn
  ]);

  var panel = el("section", {
    id: uid + "-panel", className: "panel", role: "dialog", "aria-modal": "false", "aria-labelledby": uid + "-title",
    hidden: true, lang: lang
  }, [header, scroller, offlineBox, statusLine, form]);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape" || event.key === "Esc") { event.preventDefault(); close(); }
  });

  var wrapper = el("aside", { className: "ppchat", lang: lang, "aria-label": config.title }, [panel, launcher, announcer]);
  var launcherLabel = launcher.querySelector(".launcher-label");
  var typingLabel = typing.querySelector(".visually-hidden");

  // Every word of the widget's own in the current language (T), and `lang` on the widget's root and panel.
  function applyStrings() {
    wrapper.setAttribute("lang", lang);
    panel.setAttribute("lang", lang);
    launcherLabel.textContent = T.launcher;
    closeBtn.setAttribute("aria-label", T.close);
    closeBtn.setAttribute("title", T.close);
    newChatBtn.textContent = T.newChat;
    newChatBtn.setAttribute("aria-label", T.newChatLabel);
    newChatBtn.setAttribute("title", T.newChatLabel);
    langBtn.textContent = T.toggle;
    langBtn.setAttribute("lang", otherLanguage(lang));
    langBtn.setAttribute("title", T.toggleTitle);
    intro.textContent = T.intro;
    list.setAttribute("aria-label", T.conversation);
    typingLabel.textContent = T.typing;
    offlineText.textContent = T.offline;
    retryBtn.textContent = T.retry;
    input.setAttribute("placeholder", T.placeholder);
    inputLabel.textContent = T.inputLabel;
    sendBtn.textContent = T.send;
    statusLine.textContent = state.statusKey ? T[state.statusKey] : "";
    updateLauncher();
  }

  // The toggle (send = true) or another tab's toggle (send = false, that tab told the assistant).
  function setLanguage(code, send) {
    if (!STRINGS[code]) return;
    var changed = code !== lang;
    lang = code;
    T = STRINGS[lang];
    store.set("lang", lang);
    applyStrings();
    renderAll();
    if (!send || !changed) return;
    if (emitMessage(languagePayload(lang))) {
      state.languagePending = false;
      setWaiting(true);
    } else {
      state.languagePending = true;
    }
  }

  // The payload that opens a conversation carries the language when it is Spanish (the assistant's slot
  // `language` starts as English): "/greet" becomes '/greet{"language":"es"}'.
  function initPayload() {
    var payload = config.initPayload;
    if (lang !== "en" && /^\/[A-Za-z_][\w-]*$/.test(payload)) payload += '{"language":"' + lang + '"}';
    return payload;
  }
  applyStrings();

  function mount() {
    var css = el("link", { rel: "stylesheet", href: new URL("widget.css", baseUrl).href });
    var shown = false;
    var show = function () { if (!shown) { shown = true; host.style.display = ""; } };
    css.addEventListener("load", show);
    css.addEventListener("error", show);
    setTimeout(show, 3000);
    root.appendChild(css);
    root.appendChild(wrapper);
    document.body.appendChild(host);
  }

  // ---------------------------------------------------------------------------------------------------
  // Rendering messages (DOM nodes only; links only for http(s) URLs)
  // ---------------------------------------------------------------------------------------------------
  var URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;

  function safeHttpUrl(candidate) {
    try {
      var url = new URL(candidate);
      return (url.protocol === "http:" || url.protocol === "https:") ? url.href : null;
    } catch (e) { return null; }
  }

  function trimUrl(raw) {
    // Leave sentence punctuation (and an unbalanced closing bracket) outside the link.
    var url = raw;
    for (;;) {
      var last = url.charAt(url.length - 1);
      if (".,;:!?'\"".indexOf(last) >= 0) { url = url.slice(0, -1); continue; }
      if (last === ")" && (url.split("(").length < url.split(")").length)) { url = url.slice(0, -1); continue; }
      if (last === "]" && (url.split("[").length < url.split("]").length)) { url = url.slice(0, -1); continue; }
      break;
    }
    return url;
  }

  function renderText(container, text) {
    var lastIndex = 0;
    var match;
    URL_RE.lastIndex = 0;
    while ((match = URL_RE.exec(text)) !== null) {
      var raw = trimUrl(match[0]);
      var href = safeHttpUrl(raw);
      if (!href) continue;
      if (match.index > lastIndex) container.appendChild(document.createTextNode(text.slice(lastIndex, match.index)));
      var link = el("a", { href: href, target: "_blank", rel: "noopener noreferrer" });
      link.appendChild(document.createTextNode(raw));
      link.appendChild(el("span", { className: "visually-hidden", text: " " + T.newTab }));
      container.appendChild(link);
      lastIndex = match.index + raw.length;
      URL_RE.lastIndex = lastIndex;
    }
    if (lastIndex < text.length) container.appendChild(document.createTextNode(text.slice(lastIndex)));
  }

  // A history entry whose text is an intent payload ("/next_step", "/inform{...}") is shown with the title
  // of the button that sent it; a payload that matches no button (e.g. the "/greet" that opens a chat) is hidden.
  var PAYLOAD_RE = /^\/[A-Za-z_][\w.-]*(\{[\s\S]*\})?$/;
  function displayEntries(entries) {
    var shown = [];
    var lastButtons = [];
    entries.forEach(function (entry) {
      if (entry.sender === "assistant") {
        if (entry.buttons.length) lastButtons = entry.buttons;
        shown.push(entry);
        return;
      }
      if (PAYLOAD_RE.test(entry.text.trim())) {
        var button = lastButtons.filter(function (b) { return b.payload === entry.text.trim(); })[0];
        if (!button) return;
        shown.push({ sender: "parent", text: button.title, buttons: [], image: "", ts: entry.ts, lang: entry.lang });
      } else {
        shown.push(entry);
      }
      lastButtons = [];
    });
    return shown;
  }

  function messageNode(entry, withButtons) {
    var bubble = el("div", { className: "bubble" });
    if (entry.text) renderText(bubble, entry.text);
    if (entry.image) {
      var src = safeHttpUrl(entry.image);
      if (src) bubble.appendChild(el("img", { src: src, alt: T.image, className: "image" }));
    }
    var item = el("li", { className: "message " + entry.sender, lang: entry.lang || null }, [
      el("span", { className: "visually-hidden", text: entry.sender === "parent" ? T.you : T.assistant }),
      bubble
    ]);
    if (withButtons && entry.buttons.length) {
      var group = el("div", { className: "quick-replies", role: "group", "aria-label": T.replies });
      entry.buttons.forEach(function (button) {
        group.appendChild(el("button", {
          type: "button", className: "quick-reply", text: button.title, "data-payload": button.payload,
          onclick: function () { sendButton(button); }
        }));
      });
      item.appendChild(group);
    }
    return item;
  }

  function renderAll() {
    var shown = displayEntries(state.transcript);
    // Buttons stay usable until the parent answers: those of the assistant's messages after the last parent message.
    var lastParent = -1;
    shown.forEach(function (entry, i) { if (entry.sender === "parent") lastParent = i; });
    list.textContent = "";
    shown.forEach(function (entry, i) { list.appendChild(messageNode(entry, i > lastParent)); });
    intro.hidden = shown.length > 0;
    scrollToEnd();
  }

  function scrollToEnd() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function announce(text) {
    var line = el("p", { text: text });
    announcer.appendChild(line);
    while (announcer.childNodes.length > 3) announcer.removeChild(announcer.firstChild);
  }

  function setStatus(key) {
    state.statusKey = key || "";
    statusLine.textContent = key ? T[key] : "";
  }

  // ---------------------------------------------------------------------------------------------------
  // Transcript updates
  // ---------------------------------------------------------------------------------------------------
  function addEntry(entry) {
    // Another tab of the same conversation may have written first: start from what is stored.
    state.transcript = mergeTranscripts(state.transcript, loadTranscript());
    if (entry.sender === "assistant") {
      // Every tab of this conversation receives the assistant's messages: store each one once. (A message
      // this tab received twice is a real repeat, e.g. the assistant asking the same question again.)
      // The server names each message (message_id): then the id decides, exactly. Without one (an older
      // server), the same text from another tab within 5 s counts as the same message.
      var recent = state.transcript.slice(-6);
      var duplicate = entry.id ? state.transcript.some(function (e) { return e.id === entry.id; }) :
        recent.some(function (e) {
          return e.sender === "assistant" && e.tab && e.tab !== TAB_ID && e.text === entry.text &&
            Math.abs((e.ts || 0) - entry.ts) < 5000 && JSON.stringify(e.buttons) === JSON.stringify(entry.buttons);
        });
      if (duplicate) { renderAll(); return false; }
    }
    entry.tab = TAB_ID;
    // The widget's language when the line was written: the best it knows of the line's language (the
    // assistant answers in the conversation's language, which the toggle sets).
    entry.lang = entry.lang || lang;
    state.transcript.push(entry);
    if (state.transcript.length > config.maxTranscript) state.transcript = state.transcript.slice(-config.maxTranscript);
    saveTranscript(state.transcript);
    renderAll();
    return true;
  }

  window.addEventListener("storage", function (event) {
    // Another tab of the same conversation wrote: follow it.
    if (event.key === config.storageKey + ".transcript") {
      var stored = loadTranscript();
      var epoch = store.get("epoch") || "";
      if (epoch !== state.epoch || !stored.length) {
        state.epoch = epoch;  // replaced there (history, new conversation): take it as it is
        state.transcript = stored;
      } else {
        // Added to there: keep what this tab wrote that the other tab had not seen yet, and put it back.
        var merged = mergeTranscripts(state.transcript, stored);
        if (merged.length > stored.length) saveTranscript(merged);
        state.transcript = merged;
      }
      renderAll();
    } else if (event.key === config.storageKey + ".lang" && languageOf(event.newValue)) {
      setLanguage(languageOf(event.newValue), false); // toggled in another tab, which told the assistant
    } else if (event.key === config.storageKey + ".session_id" && event.newValue !== state.sessionId) {
      state.sessionId = event.newValue; // null after "New chat" there: this tab waits for the new id
      state.transcript = loadTranscript();
      renderAll();
      if (state.sessionId || state.open) reconnect(); else dropSocket();
    }
  });

  function setWaiting(waiting) {
    state.waiting = waiting;
    typing.hidden = !waiting;
    if (state.replyTimer) { clearTimeout(state.replyTimer); state.replyTimer = null; }
    if (waiting) {
      state.replyTimer = setTimeout(function () {
        state.replyTimer = null;
        typing.hidden = true;
        state.waiting = false;
        setStatus("slow");
      }, config.replyTimeoutMs);
    }
    scrollToEnd();
  }

  function onBotMessage(data) {
    if (!data || typeof data !== "object") return;
    var text = typeof data.text === "string" ? data.text : "";
    var buttons = cleanButtons(data.quick_replies || data.buttons);
    var image = "";
    if (data.attachment && data.attachment.type === "image" && data.attachment.payload) image = String(data.attachment.payload.src || "");
    if (!text && !image) return;
    setWaiting(false);
    setStatus("");
    var id = typeof data.message_id === "string" ? data.message_id.slice(0, 64) : "";
    var added = addEntry({ sender: "assistant", text: text, image: image, buttons: buttons, ts: Date.now(), id: id });
    if (!added) return;
    announce(T.assistant + " " + (text || T.image));
    if (!state.open) {
      state.unread += 1;
      updateLauncher();
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Sending
  // ---------------------------------------------------------------------------------------------------
  function emitMessage(message) {
    if (!state.socket || !state.connected) return false;
    state.socket.emit("user_uttered", { message: message, session_id: state.sessionId, metadata: { language: lang } });
    return true;
  }

  function sendTyped() {
    var text = input.value.trim();
    if (!text) return;
    if (!emitMessage(text)) { showOffline(); setStatus("notSent"); return; }
    input.value = "";
    setStatus("");
    addEntry({ sender: "parent", text: text, image: "", buttons: [], ts: Date.now() });
    setWaiting(true);
  }

  function sendButton(button) {
    if (!emitMessage(button.payload)) { showOffline(); setStatus("notSent"); return; }
    setStatus("");
    addEntry({ sender: "parent", text: button.title, image: "", buttons: [], ts: Date.now() });
    setWaiting(true);
    input.focus(); // the clicked button is gone now; keep the keyboard focus in the widget
  }

  // ---------------------------------------------------------------------------------------------------
  // Connection (Rasa socketio channel, session persistence on)
  // ---------------------------------------------------------------------------------------------------
  function setState(name) {
    host.setAttribute("data-state", name); // connecting | online | offline (for the page's scripts and tests)
  }

  function showOffline() {
    setState("offline");
    state.offline = true;
    offlineBox.hidden = false;
    setWaiting(false);
  }

  function hideOffline() {
    var wasOffline = state.offline;
    state.offline = false;
    offlineBox.hidden = true;
    if (wasOffline) setStatus("reconnected");
  }

  function loadSocketIo(callback) {
    if (state.io) { callback(state.io); return; }
    var previous = window.io;
    var tag = document.createElement("script");
    tag.src = new URL("vendor/socket.io.min.js", baseUrl).href;
    tag.async = true;
    tag.onload = function () {
      var loaded = window.io;
      // Give the page back whatever `io` it had (it may use another Socket.IO version).
      if (previous === undefined) { try { delete window.io; } catch (e) { window.io = undefined; } } else { window.io = previous; }
      if (typeof loaded !== "function") { showOffline(); return; }
      state.io = loaded;
      callback(loaded);
    };
    tag.onerror = function () { showOffline(); };
    document.head.appendChild(tag);
  }

  function connect() {
    if (state.socket) return;
    setState("connecting");
    loadSocketIo(function (io) {
      if (state.socket) return;
      var socket = io(config.serverUrl, {
        path: config.socketPath,
        transports: config.transports,
        reconnection: config.reconnectAttempts > 0,
        reconnectionAttempts: config.reconnectAttempts,
        reconnectionDelay: 1000,
        reconnectionDelayMax: 5000,
        timeout: 8000
      });
      state.socket = socket;
      socket.on("connect", function () {
        socket.emit("session_request", { session_id: state.sessionId || null });
      });
      socket.on("session_confirm", function (data) {
        var id = typeof data === "string" ? data : (data && data.session_id);
        if (!id) return;
        if (state.sessionId && state.sessionId !== id) {
          // The server started another conversation: the stored transcript belongs to the old one.
          replaceTranscript([]);
          renderAll();
        }
        state.sessionId = String(id);
        store.set("session_id", state.sessionId);
        state.connected = true;
        setState("online");
        hideOffline();
        // Back after a break: messages pushed meanwhile are in the server's history (when there is an endpoint).
        if (state.everConnected) fetchHistory(function () {});
        state.everConnected = true;
        if (state.initPending && config.initPayload) {
          state.initPending = false;
          state.languagePending = false; // the opening payload carries the language
          if (emitMessage(initPayload())) setWaiting(true);
        } else if (state.languagePending) {
          state.languagePending = false;
          if (emitMessage(languagePayload(lang))) setWaiting(true);
        }
      });
      socket.on("bot_uttered", onBotMessage);
      socket.on("disconnect", function (reason) {
        state.connected = false;
        if (reason === "io client disconnect") return;
        showOffline();
      });
      socket.on("connect_error", function () {
        state.connected = false;
        showOffline();
      });
    });
  }

  function dropSocket() {
    if (!state.socket) return;
    var old = state.socket;
    state.socket = null;
    state.connected = false;
    old.off();
    old.disconnect();
    setState("idle");
  }

  function reconnect() {
    dropSocket();
    connect();
  }

  function retry() {
    offlineBox.hidden = true;
    setState("connecting");
    setStatus("connecting");
    if (state.socket && !state.socket.connected) {
      state.socket.disconnect(); // stops the back-off timer; connect() starts a new attempt at once
      state.socket.connect();
    } else {
      reconnect();
    }
    input.focus();
  }

  window.addEventListener("online", function () {
    if (state.socket && !state.socket.connected) retry();
  });

  // ---------------------------------------------------------------------------------------------------
  // History: the help-desk endpoint when there is one, else (or when it fails) the copy in localStorage.
  // ---------------------------------------------------------------------------------------------------
  function fetchHistory(done) {
    if (!config.historyUrl || !state.sessionId || !window.fetch) { done(); return; }
    var url;
    try {
      url = new URL(config.historyUrl, window.location.href);
      url.searchParams.set("session_id", state.sessionId);
    } catch (e) { done(); return; }
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, config.historyTimeoutMs);
    var finished = false;
    var finish = function () { if (!finished) { finished = true; clearTimeout(timer); done(); } };
    fetch(url.href, { headers: { Accept: "application/json" }, credentials: "omit", signal: controller ? controller.signal : undefined })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        var items = Array.isArray(body) ? body : (body && Array.isArray(body.messages) ? body.messages : null);
        if (items) {
          var entries = items.map(cleanEntry).filter(Boolean);
          if (entries.length || !state.transcript.length) {
            replaceTranscript(entries);
            renderAll();
          }
        }
        finish();
      })
      .catch(function () { finish(); });
    setTimeout(finish, config.historyTimeoutMs + 500);
  }

  // ---------------------------------------------------------------------------------------------------
  // Open / close / new chat
  // ---------------------------------------------------------------------------------------------------
  function updateLauncher() {
    launcher.setAttribute("aria-expanded", state.open ? "true" : "false");
    badge.hidden = state.unread === 0;
    badge.textContent = state.unread ? String(state.unread) : "";
    unreadText.textContent = state.unread ? " (" + T.newMessages(state.unread) + ")" : "";
    launcher.classList.toggle("is-open", state.open);
  }

  function open(options) {
    var focus = !(options && options.focus === false);
    if (state.open) { if (focus) input.focus(); return; }
    state.open = true;
    state.unread = 0;
    panel.hidden = false;
    wrapper.classList.add("is-open");
    updateLauncher();
    openStateStore.set(true);
    renderAll();
    if (!state.sessionId && !state.transcript.length) state.initPending = true;
    if (!state.socket) connect();
    else if (state.connected && state.initPending && !state.transcript.length) {
      state.initPending = false;
      state.languagePending = false;
      if (emitMessage(initPayload())) setWaiting(true);
    }
    if (focus) input.focus();
  }

  function close() {
    if (!state.open) return;
    state.open = false;
    panel.hidden = true;
    wrapper.classList.remove("is-open");
    updateLauncher();
    openStateStore.set(false);
    launcher.focus();
  }

  function toggle() { if (state.open) close(); else open(); }

  function resetLocal() {
    state.sessionId = null;
    state.transcript = [];
    store.remove("session_id");
    store.remove("transcript");
    setWaiting(false);
    setStatus("");
    renderAll();
  }

  function newConversation() {
    resetLocal();
    state.languagePending = false; // the new conversation's opening payload carries the language
    state.initPending = !!config.initPayload;
    reconnect();
    input.focus();
  }

  // ---------------------------------------------------------------------------------------------------
  // Start
  // ---------------------------------------------------------------------------------------------------
  function start() {
    mount();
    renderAll();
    var reopen = openStateStore.get();
    fetchHistory(function () {
      // A parent with a conversation stays connected, so pushed messages (a resolved ticket, a staff reply)
      // arrive while the page is open. A first-time visitor connects only when opening the chat.
      if (state.sessionId) connect();
      // Open again after a reload if it was open, without taking the focus from the page.
      if (reopen) open({ focus: false });
    });
  }

  window.ParentPortalChat = {
    open: function () { open(); }, close: close, toggle: toggle, version: "1.0.0"
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
