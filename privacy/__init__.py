"""Personal-data duties under 152-FZ and the audit trail (issue #9).

Place in the dependency direction (DESIGN §3):

    cohorts → orders → enrollment → programs → privacy → documents → accounts → core

privacy knows users and organisations (accounts) and stored files (documents: the ZIP of a
citizen's data is built with `documents.packages`), and nothing of citizens, applications or
orders. (It sits above documents rather than below: nothing in documents needs privacy, since the
generated-document download is registered by enrollment, which knows whose blank it is.)
The apps above register into it, the way they register exports (`core.exports.register_export`)
and queues (`core.queues.register_queue`), from a `privacy.py` module imported by their
`AppConfig.ready()`:

- `privacy.audit.register_audited_view(url_name, action, subject=…)`: a page or download that shows
  a citizen's personal data; `privacy.middleware.AuditMiddleware` writes one `AuditEvent` after
  each successful response and a `denied` event when scoping answers 404 or 403 (LOG-01, LOG-03).
- `privacy.retention.register_retention(category, …)`: how long a category is kept and how its
  expired rows and files are destroyed by the nightly job (PDN-03, PDN-04).
- `privacy.retention.register_legal_hold(…)`: another legal basis that keeps a subject's data after
  consent is withdrawn (orders and acts: accounting law).
- `privacy.subject_access.register_subject_data(…)`: what each app holds about a citizen, for the
  citizen's own download (PDN-05).

Subjects are referred to by the citizen's primary key (`subject_id`), a plain integer, so that
evidence and audit rows outlive the citizen they describe.
"""
