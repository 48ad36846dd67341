using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace AdapterLab.Data.Migrations
{
    /// <inheritdoc />
    public partial class AgentBoundary : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "model_blob",
                table: "attempts",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "expires_at",
                table: "agent_tokens",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_used_at",
                table: "agent_tokens",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "refused_messages",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    message_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    message_type = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    sender = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    claimed_agent_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    experiment_id = table.Column<Guid>(type: "uuid", nullable: true),
                    attempt_number = table.Column<int>(type: "integer", nullable: true),
                    reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_refused_messages", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_refused_messages_at",
                table: "refused_messages",
                column: "at");

            migrationBuilder.CreateIndex(
                name: "ix_refused_messages_message_id",
                table: "refused_messages",
                column: "message_id",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "refused_messages");

            migrationBuilder.DropColumn(
                name: "model_blob",
                table: "attempts");

            migrationBuilder.DropColumn(
                name: "expires_at",
                table: "agent_tokens");

            migrationBuilder.DropColumn(
                name: "last_used_at",
                table: "agent_tokens");
        }
    }
}
