"""Program services: `odin` (the feed), `programs` (the approval workflow), `contracts`
(training contracts, add-on agreements, cost proposals), `readiness` (when a program may go to РР)."""
