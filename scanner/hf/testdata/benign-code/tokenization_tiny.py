import json
import os

PATTERN = r"\"exec(\"\\"  # a raw string with escaped quotes
DOC = '''It's "quoted" and mentions subprocess.run(['ls']) and eval("x")'''
OTHER = """Also ''' inside, and os.system('x')"""
MSG = f"{'nested'} {os.sep} exec("
WIN = 'C:\\path\\'  # a string ending in an escaped backslash


class TinyTokenizer:
    def __init__(self, vocab_file):
        with open(vocab_file, encoding="utf-8") as f:  # eval( in a comment
            self.vocab = json.load(f)
        self.decoder = {v: k for k, v in self.vocab.items()}

    def decode(self, ids):
        return "".join(self.decoder[i] for i in ids)
