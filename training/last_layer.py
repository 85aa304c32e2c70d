"""Models whose last layer computes only the positions that are read.

A sentence classifier reads the last layer at [CLS] (through the pooler); a marker-head model
reads it at each opening marker. Every other position of the last layer (its query, attention
output, feed-forward) is work thrown away. Here the last layer still attends over every position
(keys and values come from all of them), so the outputs read are the full model's, up to float
rounding (checked when exported), for ~14% fewer multiply-adds per token in a 6-layer model.
"""
import math

import torch


def encode_but_last(bert, input_ids, attention_mask, token_type_ids):
    """The embeddings and every layer but the last: (hidden states, additive attention mask)."""
    h = bert.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
    mask = (1.0 - attention_mask[:, None, None, :].to(h.dtype)) * torch.finfo(h.dtype).min
    for layer in bert.encoder.layer[:-1]:
        h = layer(h, attention_mask=mask)[0]
    return h, mask


def last_layer_at(layer, h, mask, queries, rows=None):
    """`layer`'s output for `queries` [N, 1, width], each attending over every position of its row
    of `h` (row `rows[i]`; rows of `h` in order when `rows` is None)."""
    sa = layer.attention.self
    heads, size = sa.num_attention_heads, sa.attention_head_size

    def split(x):
        return x.view(x.shape[0], x.shape[1], heads, size).transpose(1, 2)

    k, v = split(sa.key(h)), split(sa.value(h))
    if rows is not None:
        k, v, mask = k[rows], v[rows], mask[rows]
    q = split(sa.query(queries))
    scores = q @ k.transpose(-1, -2) / math.sqrt(size) + mask
    context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(queries.shape[0], 1, heads * size)
    attended = layer.attention.output(context, queries)
    return layer.output(layer.intermediate(attended), attended)


class ClsOnly(torch.nn.Module):
    """Wraps a `BertForSequenceClassification`: same weights, same logits, less work."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        bert = self.model.bert
        h, mask = encode_but_last(bert, input_ids, attention_mask, token_type_ids)
        cls = last_layer_at(bert.encoder.layer[-1], h, mask, h[:, :1])
        return self.model.classifier(self.model.dropout(bert.pooler(cls)))


class MarksOnly(torch.nn.Module):
    """Wraps a marker-head model (train_targets.Targets): its per-token logits at every token
    whose id is `marker` (the opening marker), zeros elsewhere (never read)."""

    def __init__(self, model, marker: int):
        super().__init__()
        self.model = model
        self.marker = marker

    def forward(self, input_ids, attention_mask, token_type_ids):
        bert = self.model.bert
        h, mask = encode_but_last(bert, input_ids, attention_mask, token_type_ids)
        rows, cols = (input_ids == self.marker).nonzero(as_tuple=True)
        marks = last_layer_at(bert.encoder.layer[-1], h, mask, h[rows, cols][:, None], rows)
        logits = self.model.token(self.model.drop(marks[:, 0]))
        out = torch.zeros(h.shape[0], h.shape[1], logits.shape[-1], dtype=logits.dtype)
        return out.index_put((rows, cols), logits)


SAMPLES = ["Shares of [Apple] rose while [Microsoft] fell sharply after the report.",
           "The meeting is scheduled for Tuesday at the city hall.",
           "[Obama] praised [Merkel] for her [leadership] in [Europe] (see [1]).",
           "Critics called the decision a disgraceful betrayal of the workers."]


def check_same(full, cut, tokenizer, marker=None, tolerance=1e-4):
    """Raises unless `cut` gives `full`'s outputs where they are read (every output, or the
    rows of `marker` tokens), on a padded batch of sample texts, marked and not."""
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(tokenizer))
    tok.enable_padding()
    enc = tok.encode_batch(SAMPLES)
    ids = torch.tensor([e.ids for e in enc])
    att = torch.tensor([e.attention_mask for e in enc])
    types = torch.zeros_like(ids)
    with torch.no_grad():
        a, b = full(ids, att, types), cut(ids, att, types)
    a = getattr(a, "logits", a)  # a Hugging Face output, or the logits themselves
    if marker is not None:
        a, b = a[ids == marker], b[ids == marker]
    worst = (a - b).abs().max().item()
    if worst > tolerance:
        raise SystemExit(f"the cut last layer changes the outputs read by {worst:.2e}")
    return worst
