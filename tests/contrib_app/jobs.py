RUNS: list[int] = []


def tick() -> None:
    RUNS.append(1)
