"""The demo driver: mail the sample forms, run one poll, show the result."""

import sys

sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), "integration"))
import hp  # noqa: E402


def read_forms(path):
    forms, block = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") and not block:
                continue
            if line.rstrip("\n") == "%%":
                head, body = block[0].rstrip("\n").split("|"), "".join(block[1:])
                forms.append((head[0], head[1], head[2], body))
                block = []
            else:
                block.append(line)
    return forms


def main():
    inst = hp.Instance()
    forms = read_forms(sys.argv[1])
    for sender, name, subject, body in forms:
        hp.submit(sender, subject, body, name=name)
        print("demo: %s <%s> mailed \"%s\"" % (name, sender, subject))
    hp.wait_inbox(len(forms))
    print("\ndemo: hanzepost -c %s poll --once" % inst.conf)
    p = inst.poll(check=False)
    sys.stdout.write(p.stderr)
    # New organisations wait for a moderator: here the office's admin,
    # who approves each by answering the moderation mail.
    admin = hp.Mailbox("admin@example.org")
    try:
        admin.wait_count(2)
        for msg in admin.messages():
            print("\ndemo: admin@example.org received \"%s\" and answers it" % msg["Subject"])
            hp.submit("admin@example.org", "Re: " + msg["Subject"], "Akkoord.\n")
        admin.clear()
    finally:
        admin.close()
    hp.wait_inbox(2)
    print("\ndemo: hanzepost poll --once (again)")
    p = inst.poll(check=False)
    sys.stdout.write(p.stderr)
    print("\ndemo: hanzepost registry list\n")
    sys.stdout.write(inst.run("registry", "list").stdout)
    for who, why in (("carla@partner.example", "her form had a typo"),
                     ("anna@partner.example", "the moderator approved")):
        mb = hp.Mailbox(who)
        try:
            mb.wait_count(1)
            reply = mb.messages()[-1]
        finally:
            mb.close()
        print("\ndemo: the last mail %s received (%s):\n" % (who, why))
        print("Subject: %s\nFrom: %s\n" % (reply["Subject"], reply["From"]))
        print(hp.body_text(reply))
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
