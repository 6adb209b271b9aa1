"""Read-only questions for the community pages. Every function takes the viewing patient's id
first and returns only what that patient may see: visible posts, plus their own held posts;
removed posts reach nobody (STYLE.md section 3)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from webapp.extensions import db
from webapp.models import (
    CommunityMember,
    ModeratorMessage,
    PatientProfile,
    Post,
    PostStatus,
    Reaction,
    Space,
    Thread,
)


def profile_of(user_id: int) -> PatientProfile | None:
    return db.session.get(PatientProfile, user_id)


def member_of(user_id: int) -> CommunityMember | None:
    return db.session.get(CommunityMember, user_id)


def is_handle_taken(user_id: int, handle: str) -> bool:
    """Is `handle` (any case) someone else's?"""
    return (
        db.session.scalar(
            select(CommunityMember.user_id).where(
                func.lower(CommunityMember.handle) == handle.lower(),
                CommunityMember.user_id != user_id,
            )
        )
        is not None
    )


def _seen_by(user_id: int) -> ColumnElement[bool]:
    """Posts this patient may see: visible ones, and their own that wait for a moderator."""
    return or_(
        Post.status == PostStatus.VISIBLE,
        and_(Post.status == PostStatus.HELD, Post.author_id == user_id),
    )


def spaces(user_id: int) -> list[Space]:
    return list(
        db.session.scalars(
            select(Space).where(Space.is_listed).order_by(Space.position, Space.title)
        )
    )


def space_for(user_id: int, space_id: int) -> Space:
    space = db.session.get(Space, space_id)
    if space is None or not space.is_listed:  # the voice space is reached through its own pages
        abort(404)
    return space


@dataclass(frozen=True)
class ThreadLine:
    thread: Thread
    opening: Post
    replies: int


def threads_in(user_id: int, space_id: int) -> list[ThreadLine]:
    """Threads whose opening post this patient may see, newest first, with their reply counts."""
    rows = db.session.execute(
        select(Thread, Post)
        .join(Post, and_(Post.thread_id == Thread.id, Post.is_opening))
        .where(Thread.space_id == space_id, _seen_by(user_id))
        .order_by(Thread.created_at.desc(), Thread.id.desc())
    ).all()
    counts = dict(
        db.session.execute(
            select(Post.thread_id, func.count(Post.id))
            .where(
                Post.thread_id.in_([thread.id for thread, _ in rows]),
                ~Post.is_opening,
                Post.status == PostStatus.VISIBLE,
            )
            .group_by(Post.thread_id)
        ).all()
    )
    return [ThreadLine(thread, post, counts.get(thread.id, 0)) for thread, post in rows]


def thread_for(user_id: int, thread_id: int) -> Thread:
    """The thread if its opening post is one this patient may see, in a listed space; 404
    otherwise."""
    thread = db.session.scalar(
        select(Thread)
        .join(Post, and_(Post.thread_id == Thread.id, Post.is_opening))
        .join(Space, Space.id == Thread.space_id)
        .where(Thread.id == thread_id, _seen_by(user_id), Space.is_listed)
    )
    if thread is None:
        abort(404)
    return thread


@dataclass(frozen=True)
class PostLine:
    post: Post
    support: int
    supported_by_me: bool


def posts_in(user_id: int, thread_id: int) -> list[PostLine]:
    posts = list(
        db.session.scalars(
            select(Post)
            .where(Post.thread_id == thread_id, _seen_by(user_id))
            .order_by(Post.created_at, Post.id)
        )
    )
    ids = [post.id for post in posts]
    counts = dict(
        db.session.execute(
            select(Reaction.post_id, func.count(Reaction.id))
            .where(Reaction.post_id.in_(ids))
            .group_by(Reaction.post_id)
        ).all()
    )
    mine = set(
        db.session.scalars(
            select(Reaction.post_id).where(Reaction.post_id.in_(ids), Reaction.member_id == user_id)
        )
    )
    return [PostLine(post, counts.get(post.id, 0), post.id in mine) for post in posts]


def visible_post_for(user_id: int, post_id: int) -> Post:
    """A post everyone can see (to react to or report); 404 for held or removed posts, and for
    the voice space's (survey answers and suggestions are not supported or reported)."""
    post = db.session.get(Post, post_id)
    if post is None or post.status is not PostStatus.VISIBLE or not post.thread.space.is_listed:
        abort(404)
    return post


def messages_for(user_id: int) -> list[ModeratorMessage]:
    return list(
        db.session.scalars(
            select(ModeratorMessage)
            .where(ModeratorMessage.member_id == user_id)
            .order_by(ModeratorMessage.sent_at.desc())
        )
    )
