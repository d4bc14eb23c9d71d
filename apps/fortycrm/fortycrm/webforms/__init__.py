"""Website forms an office embeds without a developer (issue 15).

``fields`` builds the list of fields a form may offer (one place), ``spam`` the challenge,
``views`` the public endpoints under ``forms/`` (script, submit, confirmation link);
the flow itself is ``fortycrm.services.webforms``."""
