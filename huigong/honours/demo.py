def build(builder):
    return ""
