class Config:
    lr = 0.01
    epochs = 3
    def __init__(self, **overrides):
        for k, v in overrides.items():
            setattr(self, k, v)
    def __repr__(self):
        keys = ["lr", "epochs", "name"]
        parts = [f"{k}={getattr(self, k, None)!r}" for k in keys]
        return "Config(" + ", ".join(parts) + ")"
print(Config(), Config(lr=0.1, name="run1"))
