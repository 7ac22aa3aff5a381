"""A test-only second domain ("grants": think of an education subsidy or an honour's allowance) that
approves and publishes through the kernel's services only: it proves that a domain other than
assistance can use core.approvals and core.notices without copying them. Installed by settings.test."""
