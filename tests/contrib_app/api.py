from ninja import Router

router = Router()


@router.get("/ping")
def ping(request):
    return {"ok": True}


@router.get("/pong")
def pong(request):
    return {"ok": True}
