def build(builder) -> str:
    return "示例活动：0 项"
