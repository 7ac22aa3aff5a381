from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from huigong.core.scope import require


@login_required
def home(request):
    require(request.user, "contrib_demo_run")
    return HttpResponse("示例活动")


def portal_home(request):
    return HttpResponse("示例活动报名")
