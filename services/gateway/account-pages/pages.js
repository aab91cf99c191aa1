// The three pages mails link to: confirm an email, accept an invitation, choose a new password.
// Each sends the link's token to the REST API and says what happened, in French or English.
(function () {
	"use strict";
	var fr = (navigator.language || "en").toLowerCase().indexOf("fr") === 0;
	var T = fr
		? {
				verify: "Confirmation de l'adresse e-mail", verifying: "Confirmation en cours…", verified: "Votre adresse e-mail est confirmée. Vous pouvez vous connecter.",
				invite: "Rejoindre votre établissement", reset: "Choisir un nouveau mot de passe",
				firstName: "Prénom", lastName: "Nom", password: "Mot de passe (10 caractères au moins)", confirm: "Confirmez le mot de passe",
				join: "Créer mon compte", save: "Enregistrer", mismatch: "Les deux mots de passe diffèrent.", joined: "Votre compte est prêt. Vous pouvez vous connecter.",
				changed: "Votre mot de passe est changé. Vous pouvez vous connecter.", noToken: "Ce lien est incomplet : ouvrez-le depuis le message reçu.", failed: "Échec : ",
			}
		: {
				verify: "Email confirmation", verifying: "Confirming…", verified: "Your email address is confirmed. You can now sign in.",
				invite: "Join your school", reset: "Choose a new password",
				firstName: "First name", lastName: "Last name", password: "Password (at least 10 characters)", confirm: "Confirm the password",
				join: "Create my account", save: "Save", mismatch: "The two passwords differ.", joined: "Your account is ready. You can now sign in.",
				changed: "Your password is changed. You can now sign in.", noToken: "This link is incomplete: open it from the mail you received.", failed: "Failed: ",
			};
	document.documentElement.lang = fr ? "fr" : "en";
	var page = document.getElementById("page").getAttribute("data-page");
	var title = document.getElementById("title");
	var form = document.getElementById("form");
	var status = document.getElementById("status");
	var token = new URLSearchParams(location.search).get("token");

	function say(text, kind) {
		status.textContent = text;
		status.className = kind || "";
	}
	function post(path, body) {
		return fetch("/api" + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then(function (res) {
			return res.json().catch(function () { return {}; }).then(function (data) {
				if (!res.ok) throw new Error((data.error && data.error.message) || res.statusText);
				return data;
			});
		});
	}
	function field(id, label, type, autocomplete) {
		var wrap = document.createElement("div");
		var l = document.createElement("label");
		l.htmlFor = id;
		l.textContent = label;
		var input = document.createElement("input");
		input.id = id;
		input.name = id;
		input.type = type;
		input.autocomplete = autocomplete;
		input.required = type === "password";
		wrap.appendChild(l);
		wrap.appendChild(input);
		form.appendChild(wrap);
		return input;
	}
	function passwordForm(fields, button, path, done) {
		var inputs = fields.map(function (f) { return field(f[0], f[1], f[2], f[3]); });
		var password = field("password", T.password, "password", "new-password");
		var confirm = field("confirm", T.confirm, "password", "new-password");
		var submit = document.createElement("button");
		submit.type = "submit";
		submit.textContent = button;
		form.appendChild(submit);
		form.hidden = false;
		form.addEventListener("submit", function (event) {
			event.preventDefault();
			if (password.value !== confirm.value) return say(T.mismatch, "error");
			var body = { token: token, password: password.value };
			inputs.forEach(function (input) { if (input.value.trim()) body[input.name] = input.value.trim(); });
			submit.disabled = true;
			post(path, body).then(function () {
				form.hidden = true;
				say(done, "ok");
			}, function (err) {
				submit.disabled = false;
				say(T.failed + err.message, "error");
			});
		});
	}

	if (!token) return say(T.noToken, "error");
	if (page === "verify-email") {
		title.textContent = T.verify;
		say(T.verifying);
		post("/auth/verify-email", { token: token }).then(function () { say(T.verified, "ok"); }, function (err) { say(T.failed + err.message, "error"); });
	} else if (page === "accept-invitation") {
		title.textContent = T.invite;
		passwordForm([["firstName", T.firstName, "text", "given-name"], ["lastName", T.lastName, "text", "family-name"]], T.join, "/invitations/accept", T.joined);
	} else if (page === "reset-password") {
		title.textContent = T.reset;
		passwordForm([], T.save, "/auth/password-reset/confirm", T.changed);
	}
})();
