// The demo page: plain JavaScript against the REST API, nothing else.
(function () {
  "use strict";
  var T = {
    en: {
      title: "Verify a phone number by a call", phone: "Phone number", purpose: "For", login: "Login",
      signup: "Sign-up", callMe: "Call me", calling: "We are calling", status: "Status",
      attemptsLeft: "attempts left", expiresIn: "expires in", code: "The code you heard", verify: "Verify",
      resend: "Call me again", restart: "Use another number", verified: "Verified",
      verifiedText: "This number is yours. Your site reads the proof with", again: "Try again",
      simTitle: "The simulator's calls",
      simText: "No real phone rings in the demo: here is the code the gateway simulator read out.",
      when: "When", gateway: "Gateway", number: "Number", codeCol: "Code", outcome: "Outcome", none: "No calls yet.",
      tryTitle: "Numbers that fail on purpose", try9700: "never answers", try9701: "keeps ringing",
      try9907: "refuses calls (gateway code 7)", try9914: "the account has no money (14)",
      try9802: "the gateway hangs", tryOld: "an old 11-digit number, converted",
      waitResend: "You can ask again in {s} s.", retryIn: "Try again in {s} s.",
      queued: "queued", callingS: "ringing", answered: "answered", unanswered: "not answered",
      rejected: "refused", unknown: "unknown", network: "The site is not answering. Check your connection.",
      allauthText: "The same call inside django-allauth, as a site's accounts use it:",
      signUpByCall: "Sign up by voice call", logInByPhone: "Log in by phone", signedIn: "Signed in with",
      logOut: "Log out",
      captchaText: "Type the letters in the picture, then ask for the call again.",
      captchaAudio: "Listen to the letters", captchaLabel: "The letters"
    },
    vi: {
      title: "Xác minh số điện thoại bằng cuộc gọi", phone: "Số điện thoại", purpose: "Mục đích",
      login: "Đăng nhập", signup: "Đăng ký", callMe: "Gọi cho tôi", calling: "Chúng tôi đang gọi",
      status: "Trạng thái", attemptsLeft: "lượt nhập còn lại", expiresIn: "hết hạn sau",
      code: "Mã bạn nghe được", verify: "Xác minh", resend: "Gọi lại cho tôi", restart: "Dùng số khác",
      verified: "Đã xác minh", verifiedText: "Số này là của bạn. Trang web đọc bằng chứng bằng",
      again: "Thử lại", simTitle: "Các cuộc gọi của trình mô phỏng",
      simText: "Trong bản demo không có điện thoại thật nào đổ chuông: đây là mã trình mô phỏng đã đọc.",
      when: "Lúc", gateway: "Cổng", number: "Số", codeCol: "Mã", outcome: "Kết quả", none: "Chưa có cuộc gọi nào.",
      allauthText: "Cùng cuộc gọi đó trong django-allauth, như tài khoản của một trang web dùng:",
      signUpByCall: "Đăng ký bằng cuộc gọi", logInByPhone: "Đăng nhập bằng số điện thoại",
      signedIn: "Đã đăng nhập bằng", logOut: "Đăng xuất",
      tryTitle: "Các số cố ý lỗi", try9700: "không bao giờ bắt máy", try9701: "đổ chuông mãi",
      try9907: "từ chối cuộc gọi (mã 7)", try9914: "tài khoản hết tiền (14)",
      try9802: "cổng gọi bị treo", tryOld: "số 11 chữ số cũ, được chuyển đổi",
      waitResend: "Bạn có thể yêu cầu lại sau {s} giây.", retryIn: "Thử lại sau {s} giây.",
      queued: "đang chờ gọi", callingS: "đang đổ chuông", answered: "đã bắt máy",
      unanswered: "không bắt máy", rejected: "bị từ chối", unknown: "chưa xác định",
      network: "Trang web không phản hồi. Hãy kiểm tra kết nối.",
      captchaText: "Nhập các chữ trong hình, rồi yêu cầu cuộc gọi lại.",
      captchaAudio: "Nghe các chữ", captchaLabel: "Các chữ"
    }
  };
  var lang = (new URLSearchParams(location.search).get("lang") ||
              (navigator.language || "en")).slice(0, 2) === "vi" ? "vi" : "en";
  var challenge = null, pollTimer = null, tickTimer = null, captchaKey = null;
  var $ = function (id) { return document.getElementById(id); };
  function t(key, s) { return (T[lang][key] || T.en[key] || key).replace("{s}", s); }

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach(function (el) { el.textContent = t(el.dataset.t); });
    $("lang-en").setAttribute("aria-pressed", lang === "en");
    $("lang-vi").setAttribute("aria-pressed", lang === "vi");
    if (challenge) render();
  }

  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function api(method, path, body) {
    return fetch("/api/otp/" + path, {
      method: method,
      headers: {"Content-Type": "application/json", "Accept-Language": lang, "X-CSRFToken": csrf()},
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) { return {status: response.status, data: data}; });
    });
  }

  function showError(data) {
    var text = data.detail || t("network");
    if (data.retry_after) text += " " + t("retryIn", data.retry_after);
    if (data.errors) text += " " + Object.keys(data.errors).map(function (k) { return k + ": " + data.errors[k]; }).join("; ");
    $("error").textContent = text + (data.code ? " (" + data.code + ")" : "");
    $("error").dataset.code = data.code || "";
    $("error").classList.remove("hidden");
  }
  function clearError() { $("error").classList.add("hidden"); $("error").textContent = ""; }

  // challenge_required: the site's policy (example_project/policy.py) asks for a captcha first. Its
  // picture (and sound, when the site can speak it) is shown; the next request carries the answer.
  function askCaptcha(data) {
    if (data.code !== "challenge_required" || !data.challenge || data.challenge.type !== "captcha") return;
    captchaKey = data.challenge.key;
    $("captcha-image").src = data.challenge.image_url;
    $("captcha-audio").classList.toggle("hidden", !data.challenge.audio_url);
    $("captcha-audio").href = data.challenge.audio_url || "";
    $("captcha-value").value = "";
    $("captcha").classList.remove("hidden");
    $("captcha-value").focus();
  }
  function withCaptcha(body) {
    if (captchaKey) { body.captcha_key = captchaKey; body.captcha_value = $("captcha-value").value; }
    return body;
  }
  function refused(data) {  // an answered captcha is spent, whatever the rules then said
    showError(data);
    if (data.code === "challenge_required") askCaptcha(data); else captchaDone();
  }
  function captchaDone() { captchaKey = null; $("captcha").classList.add("hidden"); $("captcha-value").value = ""; }

  function seconds(iso) { return Math.max(0, Math.round((new Date(iso) - new Date()) / 1000)); }

  function render() {
    $("masked").textContent = challenge.phone;
    var cs = challenge.call_status || "queued";
    $("call-status").textContent = t(cs === "calling" ? "callingS" : cs);
    $("call-status").className = "badge " + cs;
    $("call-status").dataset.status = cs;
    $("status").textContent = challenge.status;
    $("attempts").textContent = challenge.attempts_left;
    $("expires").textContent = seconds(challenge.expires_at) + " s";
    var wait = seconds(challenge.resend_available_at);
    $("resend").disabled = wait > 0 || challenge.sends_left < 1 || challenge.status !== "pending" && challenge.status !== "expired";
    $("resend-wait").textContent = wait > 0 && challenge.sends_left > 0 ? t("waitResend", wait) : "";
  }

  function show(step) {
    ["step-request", "step-verify", "step-done"].forEach(function (id) { $(id).classList.toggle("hidden", id !== step); });
  }

  function track(data) {
    challenge = data;
    show("step-verify");
    render();
    clearInterval(pollTimer); clearInterval(tickTimer);
    tickTimer = setInterval(render, 1000);
    pollTimer = setInterval(function () {
      if (!challenge || challenge.status !== "pending" || ["answered", "unanswered", "rejected"].indexOf(challenge.call_status) >= 0) return;
      api("GET", "challenges/" + challenge.id + "/").then(function (r) { if (r.status === 200) { challenge = r.data; render(); } });
    }, 2000);
    $("code").focus();
  }

  $("request-form").addEventListener("submit", function (event) {
    event.preventDefault(); clearError();
    $("call-me").disabled = true;
    api("POST", "challenges/", withCaptcha({phone: $("phone").value, purpose: $("purpose").value})).then(function (r) {
      if (r.status === 201) { captchaDone(); track(r.data); } else refused(r.data);
    }).catch(function () { showError({}); }).finally(function () { $("call-me").disabled = false; refreshSimulator(); });
  });

  $("verify-form").addEventListener("submit", function (event) {
    event.preventDefault(); clearError();
    api("POST", "challenges/" + challenge.id + "/verify/", {code: $("code").value}).then(function (r) {
      if (r.status === 200) {
        challenge = r.data.challenge;
        clearInterval(pollTimer); clearInterval(tickTimer);
        $("token").textContent = r.data.token;
        show("step-done");
      } else {
        showError(r.data);
        if (r.data.attempts_left !== undefined) { challenge.attempts_left = r.data.attempts_left; render(); }
      }
    }).catch(function () { showError({}); });
  });

  $("resend").addEventListener("click", function () {
    clearError();
    api("POST", "challenges/" + challenge.id + "/resend/", withCaptcha({})).then(function (r) {
      if (r.status === 200) { captchaDone(); track(r.data); } else refused(r.data);
    }).catch(function () { showError({}); }).finally(refreshSimulator);
  });

  function restart() {
    clearInterval(pollTimer); clearInterval(tickTimer); challenge = null; clearError();
    $("code").value = ""; show("step-request"); $("phone").focus();
  }
  $("restart").addEventListener("click", restart);
  $("again").addEventListener("click", restart);
  $("lang-en").addEventListener("click", function () { lang = "en"; applyLanguage(); });
  $("lang-vi").addEventListener("click", function () { lang = "vi"; applyLanguage(); });

  function refreshSimulator() {
    if (!$("sim-calls")) return;
    fetch("/demo/calls.json").then(function (r) { return r.json(); }).then(function (data) {
      var body = $("sim-calls");
      body.textContent = "";
      if (!data.calls.length) {
        var row = body.insertRow(); var cell = row.insertCell(); cell.colSpan = 5; cell.textContent = t("none");
        return;
      }
      data.calls.forEach(function (call) {
        var row = body.insertRow();
        row.insertCell().textContent = new Date(call.placed_at * 1000).toLocaleTimeString();
        row.insertCell().textContent = call.gateway;
        row.insertCell().textContent = call.phone;
        var code = row.insertCell(); code.textContent = call.code; code.className = "code";
        row.insertCell().textContent = call.outcome;
      });
    }).catch(function () {});
  }
  if ($("sim-calls")) { refreshSimulator(); setInterval(refreshSimulator, 2000); }
  applyLanguage();
})();
