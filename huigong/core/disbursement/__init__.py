"""The kernel's disbursement service (发放): see services.py and docs/architecture.md, "Disbursement"."""
