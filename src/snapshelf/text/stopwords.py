"""Function words: grammar, never a topic, so never a reason to call two links related.

In a big library document frequency already tells them apart (they are in most links,
beyond MAX_DF_SHARE); in a small one it cannot (in five links, "the" is as common as
"docker"), and related articles would then rest on "the, a, is". The lists are closed
word classes (articles, pronouns, prepositions, conjunctions, auxiliaries, particles),
short on purpose: the broad "stop lists" of search engines also drop words such as
"world" or "army" that do name topics.
"""

from __future__ import annotations

from snapshelf.text.analyzer import is_cjk

# Whitespace-separated words: easier to read and to extend than a list of strings.
ENGLISH = frozenset(
    """
    a about above across after again against all along also although am among an and
    another any are aren around as at be because been before behind being below
    between beyond both but by can could couldn d did didn do does doesn doing
    don done down during each either else ever every for from had hadn has hasn have
    haven having he her here hers herself him himself his how i if in into is isn it
    its itself just ll m many may me might mine more most much must my myself near
    neither never no nor not of off on one ones only onto or other ought our ours
    ourselves out over own per re s same shall she should shouldn since so some such
    t than that the their theirs them themselves then there these they this those
    though through throughout to too toward towards under unless until up upon us ve
    very via was wasn we were weren what whatever when where whereas whether which
    while who whoever whom whose why will with within without won would wouldn yet
    you your yours yourself yourselves
    """.split()  # noqa: SIM905
)

#: Chinese particles and function characters; the analyzer keeps a CJK run's last
#: character as a token of its own, and these end many runs.
CHINESE = frozenset("与个为之也了于从以们其及向吗吧呢和啊在对就或把是的着而被过这那都")

STOPWORDS = ENGLISH | CHINESE


def is_stopword(term: str) -> bool:
    """Whether an analyzer token is a function word (tokens are already case-folded)."""
    return term in STOPWORDS


#: Words too general to explain why two pages are related, though not function words:
#: in a small library they are rare enough to weigh, and "said, like" reads as noise.
GENERIC = frozenset(
    """
    said says say saying like likes liked also new one two three four five first second
    last next year years time times people make makes made get gets got use uses used
    using way ways well good better best see seen know known think want need needs going
    go goes went come came take took back even still really thing things lot lots part
    day days week weeks today now right left yes ok etc page pages read more most less
    many much little big small great long high low old
    """.split()  # noqa: SIM905
)


def worth_showing(term: str) -> bool:
    """Whether an analyzer token may be shown as a reason: a word that names something,
    not a number, a function word, a general word, a lone CJK character or a CJK bigram
    that begins or ends with a particle (的行, 场的: across a word boundary)."""
    if not term or term in STOPWORDS or term in GENERIC:
        return False
    if is_cjk(term[0]):
        return len(term) == 2 and term[0] not in CHINESE and term[1] not in CHINESE
    return len(term) >= 3 and not any(c.isdigit() for c in term)
