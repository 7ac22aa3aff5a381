def staff_context(request):
    user = getattr(request, "user", None)
    staff = None
    if user is not None and user.is_authenticated:
        staff = getattr(user, "staff", None) if hasattr(user, "staff") else None
    return {"staff": staff}
