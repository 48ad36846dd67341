using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AdapterLab.Data.Migrations
{
    /// <inheritdoc />
    public partial class LeaderboardBoards : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "leaderboard_boards",
                columns: table => new
                {
                    board = table.Column<string>(type: "text", nullable: false),
                    dataset = table.Column<string>(type: "text", nullable: false),
                    label_family = table.Column<string>(type: "text", nullable: false),
                    domain = table.Column<string>(type: "text", nullable: false),
                    task = table.Column<string>(type: "text", nullable: false),
                    metric = table.Column<string>(type: "text", nullable: false),
                    configurations = table.Column<int>(type: "integer", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_leaderboard_boards", x => x.board);
                });

            // Backfill from the entries already there; from now on LeaderboardProjection keeps it.
            migrationBuilder.Sql("""
                INSERT INTO leaderboard_boards (board, dataset, label_family, domain, task, metric, configurations, updated_at)
                SELECT board, min(dataset), min(label_family), min(domain), min(task), min(metric), count(*)::int, max(updated_at)
                FROM leaderboard_entries GROUP BY board;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "leaderboard_boards");
        }
    }
}
