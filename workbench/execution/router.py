"""Smart order routing: quote every venue, take the best output, split when that pays.

Outputs compared are the venues' quoted ``out_amount_raw``, which is already net of pool fees
and price impact; every route executes as ONE transaction, so network fees do not differ.

Splitting: constant-product output is concave in the input, so ``out_A(x) + out_B(in - x)`` has
one maximum; a golden-section search over the integer ``x`` finds it with ~25 evaluations per
venue. Venues that price locally hand the router a pure ``out_curve`` (reserves read once), so
the search is integer maths only and the two legs are quoted once at the end; other venues are
quoted at every step. The split is adopted only when it beats the best single venue by
``min_split_gain_bps``.

Arbitrage: for every ordered pair of venues, buy on one and sell the proceeds on the other; both
legs go in one transaction, and the second leg's minimum output is at least the first leg's input,
so the whole transaction fails (atomically) rather than lose.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, replace

from workbench.domain import Quote, QuoteRequest
from workbench.errors import OrderRejected, VenueError
from workbench.ports import Venue

__all__ = ["Route", "RouteLeg", "Router"]

log = logging.getLogger(__name__)
_GOLDEN = 0.6180339887498949


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteLeg:
    """One venue's part of a route."""

    venue: Venue
    quote: Quote


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """What to execute in one transaction.

    Attributes:
        kind: ``single``, ``split`` or ``arbitrage``.
        legs: venue quotes, executed in order.
        input_mint / output_mint: for an arbitrage both are the starting mint.
        in_amount_raw: total input.
        out_amount_raw: total quoted output.
        min_out_amount_raw: total output floor after slippage.
    """

    kind: str
    legs: tuple[RouteLeg, ...]
    input_mint: str
    output_mint: str
    in_amount_raw: int
    out_amount_raw: int
    min_out_amount_raw: int

    @property
    def venues(self) -> tuple[str, ...]:
        """Venue names of the legs."""
        return tuple(leg.venue.name for leg in self.legs)

    @classmethod
    def single(cls, venue: Venue, quote: Quote) -> Route:
        """A one-venue route."""
        return cls(kind="single", legs=(RouteLeg(venue=venue, quote=quote),),
                   input_mint=quote.input_mint, output_mint=quote.output_mint,
                   in_amount_raw=quote.in_amount_raw, out_amount_raw=quote.out_amount_raw,
                   min_out_amount_raw=quote.min_out_amount_raw)


def _curve_of(venue: Venue, request: QuoteRequest) -> Callable[[int], int] | None:
    """The venue's pure ``amount_in -> out`` function for ``request``'s pair, if it has one.

    Venues that price locally (local pools) expose ``out_curve(request)``; network venues do
    not, and the split search quotes them instead. ``None`` also when the venue cannot price
    the pair (it was quoted already, so that does not happen in practice).
    """
    out_curve = getattr(venue, "out_curve", None)
    if out_curve is None:
        return None
    try:
        return out_curve(request)
    except VenueError:
        return None


class Router:
    """Routes swaps over a set of venues.

    Args:
        venues: enabled venues; those that cannot quote a pair are skipped.
        split: allow splitting one swap over two venues.
        min_split_gain_bps: a split must beat the best venue by this much.
        split_iterations: golden-section steps (each quotes both venues once).
    """

    def __init__(self, venues: Sequence[Venue], *, split: bool = True,
                 min_split_gain_bps: float = 1.0, split_iterations: int = 25) -> None:
        self.venues = list(venues)
        self.split = split
        self.min_split_gain_bps = min_split_gain_bps
        self.split_iterations = split_iterations

    def venue(self, name: str) -> Venue:
        """The enabled venue called ``name``."""
        for v in self.venues:
            if v.name == name:
                return v
        names = ", ".join(v.name for v in self.venues)
        raise OrderRejected(f"Venue {name!r} is not enabled; enabled: {names}.",
                            reason="unknown_venue", venue=name)

    async def quote_all(self, request: QuoteRequest,
                        venues: Sequence[Venue] | None = None) -> list[RouteLeg]:
        """Quote every venue concurrently; venues without a route or failing are skipped."""
        venues = self.venues if venues is None else venues
        # Venues that can answer without I/O (``quote_sync``, same result as ``quote``: local
        # pools) are called directly; a task per venue costs more than their whole quote.
        # Network venues still run concurrently.
        results: list[object] = [None] * len(venues)
        pending = []
        for i, v in enumerate(venues):
            quote_sync = getattr(v, "quote_sync", None)
            if quote_sync is None:
                pending.append(i)
                continue
            try:
                results[i] = quote_sync(request)
            except VenueError as exc:
                results[i] = exc
        if pending:
            got = await asyncio.gather(*(venues[i].quote(request) for i in pending),
                                       return_exceptions=True)
            for i, r in zip(pending, got, strict=True):
                results[i] = r
        legs = []
        for v, r in zip(venues, results, strict=True):
            if isinstance(r, Quote):
                legs.append(RouteLeg(venue=v, quote=r))
            elif isinstance(r, VenueError):
                log.debug("router: %s cannot quote: %s", v.name, r)
            elif isinstance(r, BaseException):
                raise r
        return legs

    async def route(self, request: QuoteRequest, *, venue: str | None = None) -> Route:
        """The best route for ``request`` (one venue, or a split over two).

        Raises:
            OrderRejected: no enabled venue can quote the pair (reason ``no_route``).
        """
        venues = [self.venue(venue)] if venue else self.venues
        legs = await self.quote_all(request, venues)
        legs = [leg for leg in legs if leg.quote.out_amount_raw > 0]
        if not legs:
            raise OrderRejected(
                f"No enabled venue quotes {request.in_amount_raw} {request.input_mint} -> "
                f"{request.output_mint}; enable a venue that lists the pair.",
                reason="no_route",
            )
        legs.sort(key=lambda leg: leg.quote.out_amount_raw, reverse=True)
        best = Route.single(legs[0].venue, legs[0].quote)
        if (self.split and len(legs) >= 2 and request.in_amount_raw >= 200
                and await self._split_can_help(request, legs[0], legs[1].venue)):
            split = await self._best_split(request, legs[0].venue, legs[1].venue)
            gain_bps = (split.out_amount_raw - best.out_amount_raw) / best.out_amount_raw * 1e4
            if gain_bps >= self.min_split_gain_bps:
                return split
        return best

    async def _pair_out(self, request: QuoteRequest, a: Venue, b: Venue,
                        x: int) -> tuple[int, list[Quote]]:
        quotes: list[Quote] = []
        for venue, amount in ((a, x), (b, request.in_amount_raw - x)):
            if amount > 0:
                quotes.append(await venue.quote(replace(request, in_amount_raw=amount)))
        return sum(q.out_amount_raw for q in quotes), quotes

    async def _split_can_help(self, request: QuoteRequest, best: RouteLeg, other: Venue) -> bool:
        """Whether a split could beat ``best`` by ``min_split_gain_bps``.

        With concave outputs, a split helps only if ``other``'s first 1% of the input pays more
        than the best venue's last 1%; the gain of the best split is then at most about half
        that difference scaled to the whole input (the triangle between the two marginal-rate
        lines). Two quotes decide it and spare the search on most orders.
        """
        d = request.in_amount_raw // 100
        curve_best, curve_other = _curve_of(best.venue, request), _curve_of(other, request)
        if curve_best is not None and curve_other is not None:
            less_out, first_out = curve_best(request.in_amount_raw - d), curve_other(d)
        else:
            less_out = (await best.venue.quote(
                replace(request, in_amount_raw=request.in_amount_raw - d))).out_amount_raw
            first_out = (await other.quote(replace(request, in_amount_raw=d))).out_amount_raw
        diff = first_out - (best.quote.out_amount_raw - less_out)
        bound_bps = diff * 50 / max(1, best.quote.out_amount_raw) * 1e4
        return diff > 0 and bound_bps >= self.min_split_gain_bps

    def _search(self, total: int) -> Generator[int, int, int]:
        """Golden-section search for the ``x`` in ``[0, total]`` maximising ``f(x)``.

        A generator so one search serves both drivers: it yields each ``x`` to evaluate and is
        sent ``f(x)`` back; it returns the best ``x`` it evaluated. Each step keeps one of the
        two inner points, so a step costs one evaluation.
        """
        seen: dict[int, int] = {}

        def ask(x: int) -> Generator[int, int, int]:
            if x not in seen:
                seen[x] = yield x
            return seen[x]

        lo, hi = 0, total
        m1, m2 = hi - int((hi - lo) * _GOLDEN), lo + int((hi - lo) * _GOLDEN)
        f1, f2 = (yield from ask(m1)), (yield from ask(m2))
        for _ in range(self.split_iterations):
            if hi - lo < 3 or m1 >= m2:
                break
            if f1 < f2:
                lo, m1, f1 = m1, m2, f2
                m2 = lo + int((hi - lo) * _GOLDEN)
                f2 = yield from ask(m2)
            else:
                hi, m2, f2 = m2, m1, f1
                m1 = hi - int((hi - lo) * _GOLDEN)
                f1 = yield from ask(m1)
        for x in (lo, hi, (lo + hi) // 2):
            yield from ask(x)
        return max(seen, key=seen.__getitem__)

    async def _best_split(self, request: QuoteRequest, a: Venue, b: Venue) -> Route:
        total = request.in_amount_raw
        search = self._search(total)
        curve_a, curve_b = _curve_of(a, request), _curve_of(b, request)
        quoted: dict[int, tuple[int, list[Quote]]] = {}
        try:
            x = next(search)
            if curve_a is not None and curve_b is not None:
                # pure integer maths on reserves read once: no Quote objects, no awaits
                while True:
                    x = search.send((curve_a(x) if x > 0 else 0)
                                    + (curve_b(total - x) if x < total else 0))
            while True:
                quoted[x] = await self._pair_out(request, a, b, x)
                x = search.send(quoted[x][0])
        except StopIteration as stop:
            best_x: int = stop.value
        out, quotes = quoted.get(best_x) or await self._pair_out(request, a, b, best_x)
        venues = [v for v, amt in ((a, best_x), (b, total - best_x)) if amt > 0]
        legs = tuple(RouteLeg(venue=v, quote=q) for v, q in zip(venues, quotes, strict=True))
        return Route(kind="split" if len(legs) > 1 else "single", legs=legs,
                     input_mint=request.input_mint, output_mint=request.output_mint,
                     in_amount_raw=total, out_amount_raw=out,
                     min_out_amount_raw=sum(q.min_out_amount_raw for q in quotes))

    async def arbitrage(self, input_mint: str, output_mint: str, in_amount_raw: int,
                        *, min_profit_raw: int = 1) -> Route | None:
        """The most profitable round trip ``input -> output -> input`` over two venues.

        Returns None when no ordered pair of venues profits at least ``min_profit_raw``.
        The second leg's minimum output is ``in_amount_raw + min_profit_raw``.
        """
        first = await self.quote_all(QuoteRequest(
            input_mint=input_mint, output_mint=output_mint, in_amount_raw=in_amount_raw,
            slippage_bps=0))
        best: Route | None = None
        for leg1 in first:
            mid = leg1.quote.min_out_amount_raw
            if mid <= 0:
                continue
            others = [v for v in self.venues if v is not leg1.venue]
            back = await self.quote_all(QuoteRequest(
                input_mint=output_mint, output_mint=input_mint, in_amount_raw=mid,
                slippage_bps=0), others)
            for leg2 in back:
                profit = leg2.quote.out_amount_raw - in_amount_raw
                if profit < min_profit_raw:
                    continue
                if best is None or leg2.quote.out_amount_raw > best.out_amount_raw:
                    q2 = replace(leg2.quote, min_out_amount_raw=max(
                        leg2.quote.min_out_amount_raw, in_amount_raw + min_profit_raw))
                    best = Route(kind="arbitrage",
                                 legs=(leg1, RouteLeg(venue=leg2.venue, quote=q2)),
                                 input_mint=input_mint, output_mint=input_mint,
                                 in_amount_raw=in_amount_raw,
                                 out_amount_raw=q2.out_amount_raw,
                                 min_out_amount_raw=q2.min_out_amount_raw)
        return best
