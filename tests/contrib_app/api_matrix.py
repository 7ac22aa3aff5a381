def matrix_rows(Row, expect) -> dict:
    everyone = dict.fromkeys(("admin", "staff", "viewer", "finance", "leader"), 200)
    return {("GET", "/api/v1/contrib-demo/ping"): Row(expect(everyone, outsider=200)),
            ("GET", "/api/v1/contrib-demo/pong"): Row(expect(everyone, outsider=200))}
