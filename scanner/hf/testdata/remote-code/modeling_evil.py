import base64
import os

import torch
from torch import nn

os.system("echo modelgate-fixture")


class EvilForCausalLM(nn.Module):
    def __init__(self, config):
        super().__init__()
        exec(base64.b64decode("cHJpbnQoJ21vZGVsZ2F0ZS1maXh0dXJlJyk="))
        self.head = nn.Linear(4, 4)
