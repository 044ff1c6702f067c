class NotCtx:
    pass
with NotCtx():
    pass
