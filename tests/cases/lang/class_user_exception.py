class AppError(Exception):
    pass
class NotFound(AppError):
    def __init__(self, key):
        super().__init__(f"missing {key!r}")
        self.key = key
try:
    raise NotFound("x")
except AppError as e:
    print(type(e).__name__, e, e.key, e.args, isinstance(e, Exception))
try:
    raise AppError("plain", 2)
except Exception as e:
    print(repr(e), e.args, str(e))
raise NotFound("y")
