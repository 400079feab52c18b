"""Answers that pass each bundled workflow's output contract, built from the input for realism.

Used by the tests and the screenshot script with the local test server: a stand-in
for a model, never a model.
"""

from __future__ import annotations

import json
import re

BANK_RULES = (
    ("RENT", "6100 Rent"),
    ("STRIPE", "4000 Sales"),
    ("AWS", "6300 Software & subscriptions"),
    ("TESCO", "5000 Cost of goods"),
    ("FEE", "6600 Bank fees"),
    ("ENERGY", "6200 Utilities"),
    ("TRAINLINE", "6400 Travel"),
    ("INSURANCE", "6700 Insurance"),
    ("VIKING", "6800 Office supplies"),
    ("CLAY", "5000 Cost of goods"),
    ("VAT", "2200 VAT"),
)


def _user_text(body: dict) -> str:
    """The input's prompt: the first user message (a retry appends the feedback after it)."""
    return next(m["content"] for m in body["messages"] if m["role"] == "user")


def _field(text: str, name: str) -> str:
    found = re.search(rf"(?m)^{name}: *(.*)$", text)
    return found.group(1).strip() if found else ""


def _review(text: str) -> str:
    words = re.findall(r"\b([A-Z][a-z]+)\b", text.split(":", 1)[-1])
    name = next(
        (w for w in words if w not in {"Best", "Two", "Lovely", "Review", "The", "We", "Would"}), ""
    )
    greeting = f"Dear {name}," if name and len(text) < 400 and name in {"Anna", "Tom"} else "Hello,"
    return (
        f"{greeting}\nThank you for taking the time to write to us. We read every review and have shared "
        "yours with the whole team.\nWe hope to welcome you back soon.\nThe team at Café Rosa"
    )


def _digest(text: str) -> str:
    sender = re.sub(r"\s*<.*?>", "", _field(text, "From")).strip('" ') or "Unknown sender"
    subject = _field(text, "Subject") or "Question"
    urgent = re.search(r"(?i)charged twice|not here|still not", text)
    return (
        f"Customer: {sender}\nTopic: {subject}\nUrgency: {'High' if urgent else 'Normal'}\n"
        "Next step: Check the order in the shop admin and reply today"
    )


def _bank(text: str) -> str:
    description = _field(text, "Description").upper()
    account = next((a for key, a in BANK_RULES if key in description), "9999 Needs review")
    confidence = 0.92 if not account.startswith("9999") else 0.4
    return json.dumps(
        {"account": account, "confidence": confidence, "reason": f"Description: {description[:60]}"}
    )


def _product(text: str) -> str:
    lines = [ln.strip("-# ").strip() for ln in text.splitlines()[1:] if ln.strip("-# ").strip()]
    name = lines[0].split(":", 1)[-1].strip() if lines else "This product"
    facts = "\n".join(f"- {ln}" for ln in lines[1:5])
    return (
        f"{name}: chosen for everyday use and made to last, with the details listed below so you know "
        "exactly what arrives. A practical piece for home or workshop from a supplier we have worked "
        f"with for years.\nKey facts:\n{facts}"
    )


def _reminder(text: str) -> str:
    first = (_field(text, "contact_name").split() or ["there"])[0]
    invoice, amount = _field(text, "invoice_no"), _field(text, "amount")
    currency, due = _field(text, "currency"), _field(text, "due_date")
    return (
        f"Subject: Invoice {invoice} - friendly reminder\n\nDear {first},\n\nA quick note that invoice "
        f"{invoice} for {amount} {currency} was due on {due}. If it has slipped through, no problem: "
        "I can resend it. Please reply if anything is wrong with it.\n\nAccounts, Birch & Co Joinery"
    )


def _actions(text: str) -> str:
    found = re.findall(r"\b([A-Z][a-z]+) (?:will|to|agreed to) ([a-z][^.\n]{5,80})", text)
    items = [
        {"task": task.strip().capitalize(), "owner": who, "due": None} for who, task in found[:6]
    ]
    items = items or [{"task": "Test the mince-pie brownie", "owner": "Aisha", "due": "Thursday"}]
    return "```json\n" + json.dumps(items) + "\n```"


def _supplier(text: str) -> str:
    subject = re.search(r'subject "([^"]*)"', text)
    about = subject.group(1) if subject else "your e-mail"
    return (
        f"Dear supplier,\nThank you for your message about {about}. We have noted it, and"
        " the owner will confirm by the end of the week.\nKind regards,\nThe team at Café Rosa"
    )


MAKERS = {  # (the first marker found decides: the supplier replies mention Café Rosa too)
    "replies to suppliers": _supplier,
    "Café Rosa": _review,
    "daily digest": _digest,
    "bank-statement rows": _bank,
    "product descriptions": _product,
    "payment reminders": _reminder,
    "action items": _actions,
}


def answer_for(body: dict) -> str:
    """A contract-valid answer for whichever bundled workflow's prompt ``body`` carries."""
    system = body["messages"][0]["content"]
    for marker, make in MAKERS.items():
        if marker in system:
            return make(_user_text(body))
    raise AssertionError(f"no canned answer for this prompt: {system[:80]}")
