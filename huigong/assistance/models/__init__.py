"""Hardship assistance (困难职工帮扶): screening sweeps, hardship files, aid programmes, applications
with approval up the tree, public notices, payouts and the ledger.

Personal details (household members' ID numbers, incomes, illness notes, bank accounts, a file's household
income and expenses, verification notes, help requests' incomes) are encrypted. The one exception is a
sweep visit's household aggregates (monthly income, rigid expenses, size, cause flags): plain columns, so
that the rule pass is one set-based statement in the database (see SweepVisit)."""

from .aid import (  # noqa: F401
    AidApplication,
    AidProgramme,
    AidProgrammeKind,
    AmountMode,
    ApplicationStatus,
    ApprovalDecision,
    ApprovalStep,
    HouseholdYearCap,
    Notice,
    NoticeEntry,
    NoticeObjection,
    NoticeStatus,
    ProgrammeBudget,
    ProgrammeStatus,
)
from .common import CloseReason, HardshipCause, HardshipLevel  # noqa: F401
from .files import (  # noqa: F401
    EvidenceKind,
    FileCause,
    FileEvidence,
    FileMember,
    FileReview,
    FileStatus,
    HardshipFile,
    ReviewOutcome,
)
from .help import FileNumberCounter, HelpRequest, HelpRequestStatus  # noqa: F401
from .money import LedgerEntry, Payout, PayoutAttempt, PayoutBatch, PayoutStatus, BatchStatus  # noqa: F401
from .screening import ScreeningRule, Sweep, SweepAssignment, SweepStatus, SweepVisit  # noqa: F401
