"""The kernel's approval chains (审批链): who decides each step of an item up the union tree, with
segregation of duties, escalation of steps nobody can act on, reduced amounts and comments. A domain
keeps its own concrete step table (a subclass of `models.ApprovalStepBase`) and calls `services`."""
