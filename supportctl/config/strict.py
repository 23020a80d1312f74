"""The strict pydantic base of the config models: an unknown key is an error, a model never changes."""

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
