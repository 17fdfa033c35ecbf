"""Tiny causal LM used as a test fixture.

The docstring mentions os.system("...") and eval(...) on purpose: comments
and strings are not code.
"""
import torch
from torch import nn

from .configuration_tiny import TinyConfig


class TinyForCausalLM(nn.Module):
    config_class = TinyConfig

    def __init__(self, config):
        super().__init__()
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)

    def eval(self):  # a method called eval is fine
        return super().eval()

    def forward(self, input_ids):
        # exec( in a comment is fine too
        return self.head(self.embed(input_ids))

    @classmethod
    def from_checkpoint(cls, config, path):
        model = cls(config)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        model.eval()
        return model
