from ninja import Field, Schema


class CannedReplyOut(Schema):
    id: int
    shortcut: str
    title: str
    body: str = Field(
        description="With {customer_name} and {agent_name} filled when a conversation is given"
    )
    category: str
    scope: str = Field(description="personal, team or everyone")
    team_id: int | None
